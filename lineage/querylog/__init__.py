"""Warehouse query logs: read → fingerprint → parse once per shape → resolve → aggregate.

``formats`` holds one small reader per log format behind one interface; the rest of the
package turns their records into usage, popularity and lineage.
"""
