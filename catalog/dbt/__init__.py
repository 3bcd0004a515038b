"""dbt artifacts into the catalog: ``artifacts`` reads and validates the files, ``schema``
declares the parts of them Lexicon reads, ``extract`` turns them into specs,
``consistency`` checks that they belong together and ``write`` stores them in one
transaction (``dbt_ingest_write``)."""
