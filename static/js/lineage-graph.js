// Lineage graph: Cytoscape.js with a layered (dagre) layout. Data from /api/v1/lineage/.
(function () {
  const PAGE = 40; // neighbours shown per node before a "+ N more" node
  const el = document.getElementById("lineage-graph");
  if (!el || typeof cytoscape === "undefined") return;
  if (typeof cytoscapeDagre !== "undefined") cytoscape.use(cytoscapeDagre);
  const api = el.dataset.api;
  const status = document.getElementById("graph-status");
  const expandButton = document.querySelector("[data-expand]");
  const openLink = document.querySelector("[data-open]");
  const hidden = new Map(); // parent id -> remaining [node, edge] pairs behind a "more" node

  const cy = cytoscape({
    container: el,
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 11, "text-valign": "center", "text-halign": "center",
          "text-wrap": "ellipsis", "text-max-width": 150, width: 160, height: 34, shape: "round-rectangle",
          "background-color": "#e6f0fa", "border-width": 1, "border-color": "#0b5cad", color: "#1b1f24" } },
      { selector: "node[kind = 'source'], node[kind = 'seed']", style: { "background-color": "#e3f4e8", "border-color": "#1a7f37" } },
      { selector: "node[kind = 'exposure'], node[kind = 'saved_query']", style: { "background-color": "#fff1c2", "border-color": "#9a6700", shape: "hexagon" } },
      { selector: "node[kind = 'metric'], node[kind = 'semantic_model']", style: { "background-color": "#e9e4fb", "border-color": "#4a2f9e", shape: "ellipse" } },
      { selector: "node[tier = 1]", style: { "border-width": 4 } },
      { selector: "node[?pii]", style: { color: "#912018", "font-weight": "bold" } },
      { selector: "node[?removed], node[?deprecated]", style: { "border-style": "dashed", opacity: 0.6 } },
      { selector: "node[freshness = 'warn']", style: { "background-color": "#fff4d6" } },
      { selector: "node[freshness = 'error'], node[freshness = 'runtime error']", style: { "background-color": "#fde8e7" } },
      { selector: "node[?root]", style: { "background-color": "#0b5cad", color: "#ffffff" } },
      { selector: "node[kind = 'more']", style: { "background-color": "#ffffff", "border-style": "dotted", color: "#0b5cad" } },
      { selector: "node:selected", style: { "overlay-opacity": 0.15, "overlay-color": "#f0a500" } },
      { selector: "edge", style: { width: 1.5, "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1",
          "target-arrow-shape": "triangle", "curve-style": "bezier" } },
      { selector: ".faded", style: { opacity: 0.15 } },
      { selector: "node.path", style: { "background-color": "#f0a500", color: "#1b1f24", "border-color": "#9a6700", opacity: 1 } },
      { selector: "edge.path", style: { width: 4, "line-color": "#f0a500", "target-arrow-color": "#f0a500", opacity: 1 } },
    ],
  });

  function layout() {
    cy.layout({ name: typeof cytoscapeDagre !== "undefined" ? "dagre" : "breadthfirst", rankDir: "LR",
      nodeSep: 12, rankSep: 70, animate: false }).run();
  }

  function nodeData(n) {
    return { id: String(n.id), label: n.name, kind: n.kind, tier: n.tier || 0, pii: !!n.pii, removed: !!n.removed,
      deprecated: !!n.deprecated, freshness: n.freshness || "", root: String(n.id) === el.dataset.root };
  }

  // Add a graph from the API; neighbours beyond PAGE per node hide behind a "more" node.
  function addGraph(graph, focus) {
    const known = new Set(cy.nodes().map((n) => n.id()));
    const byId = new Map(graph.nodes.map((n) => [String(n.id), n]));
    const fresh = new Map();
    for (const e of graph.edges) {
      const s = String(e.source), t = String(e.target);
      const parent = known.has(s) || s === focus ? s : known.has(t) || t === focus ? t : (byId.get(s)?.distance ?? 0) === 0 ? s : t;
      const child = parent === s ? t : s;
      if (!fresh.has(parent)) fresh.set(parent, []);
      fresh.get(parent).push([child, { id: `${s}->${t}`, source: s, target: t }]);
    }
    const add = [];
    for (const n of graph.nodes) if (!known.has(String(n.id)) && (String(n.id) === el.dataset.root || String(n.id) === focus)) add.push({ group: "nodes", data: nodeData(n) });
    cy.add(add);
    for (const [parent, items] of fresh) {
      const unseen = items.filter(([child]) => !known.has(child));
      const shown = unseen.slice(0, PAGE), rest = unseen.slice(PAGE);
      addItems(shown, byId);
      items.filter(([child]) => known.has(child)).forEach(([, edge]) => addEdge(edge));
      if (rest.length) addMore(parent, rest, byId);
    }
    // Nodes reached through nodes added above (depth > 1): add them and their edges.
    for (const n of graph.nodes) if (!cy.getElementById(String(n.id)).length) continue;
    for (const e of graph.edges) addEdge({ id: `${e.source}->${e.target}`, source: String(e.source), target: String(e.target) });
    layout();
  }

  function addItems(items, byId) {
    for (const [child, edge] of items) {
      if (!cy.getElementById(child).length && byId.has(child)) cy.add({ group: "nodes", data: nodeData(byId.get(child)) });
      addEdge(edge);
    }
  }

  function addEdge(edge) {
    if (cy.getElementById(edge.source).length && cy.getElementById(edge.target).length && !cy.getElementById(edge.id).length) {
      cy.add({ group: "edges", data: edge });
    }
  }

  function addMore(parent, rest, byId) {
    const id = `more-${parent}-${cy.nodes().length}`;
    hidden.set(id, { rest, byId, parent });
    el.dataset.lastMore = id;
    cy.add({ group: "nodes", data: { id, label: `+ ${rest.length} more`, kind: "more" } });
    const downstream = rest[0][1].source === parent;
    cy.add({ group: "edges", data: { id: `${id}-e`, source: downstream ? parent : id, target: downstream ? id : parent } });
  }

  function showMore(moreNode) {
    const entry = hidden.get(moreNode.id());
    if (!entry) return;
    hidden.delete(moreNode.id());
    cy.remove(moreNode);
    addItems(entry.rest.slice(0, PAGE), entry.byId);
    if (entry.rest.length > PAGE) addMore(entry.parent, entry.rest.slice(PAGE), entry.byId);
    layout();
    el.dataset.nodes = String(cy.nodes().length);
  }

  async function fetchGraph(id, direction, depth) {
    const response = await fetch(`${api}${id}/?direction=${direction}&depth=${depth}`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`lineage API answered ${response.status}`);
    return response.json();
  }

  async function load() {
    const root = el.dataset.root, up = Number(el.dataset.up), down = Number(el.dataset.down);
    try {
      const graphs = [];
      if (up > 0) graphs.push(await fetchGraph(root, "up", up));
      if (down > 0) graphs.push(await fetchGraph(root, "down", down));
      if (!graphs.length) graphs.push(await fetchGraph(root, "both", 1));
      for (const g of graphs) addGraph(g, root);
      const truncated = graphs.some((g) => g.truncated);
      status.textContent = `${cy.nodes().length} nodes, ${cy.edges().length} edges${truncated ? " (the server capped a very large neighbourhood)" : ""}.`;
      cy.fit(undefined, 30);
      el.dataset.nodes = String(cy.nodes().length);
      el.dataset.ready = "true";
    } catch (error) {
      status.textContent = `The graph could not be loaded: ${error.message}`;
    }
  }

  cy.on("tap", "node", (event) => {
    const node = event.target;
    if (node.data("kind") === "more") { showMore(node); return; }
    expandButton.disabled = false;
    expandButton.dataset.node = node.id();
    openLink.hidden = false;
    openLink.href = `${el.dataset.assetUrl}${node.id()}/`;
    openLink.textContent = `Open ${node.data("label")}`;
  });
  cy.on("dbltap", "node", (event) => {
    if (event.target.data("kind") !== "more") window.location.assign(`${el.dataset.assetUrl}${event.target.id()}/`);
  });
  expandButton.addEventListener("click", async () => {
    const id = expandButton.dataset.node;
    if (!id) return;
    const before = cy.nodes().length;
    addGraph(await fetchGraph(id, "both", 1), id);
    status.textContent = `${cy.nodes().length} nodes, ${cy.edges().length} edges (${cy.nodes().length - before} added).`;
    el.dataset.nodes = String(cy.nodes().length);
    el.dataset.expanded = String(Number(el.dataset.expanded || 0) + 1);
  });

  // Column mode: highlight the assets and edges on one column's upstream and downstream path.
  document.querySelector("[data-column-select]")?.addEventListener("change", async (event) => {
    cy.elements().removeClass("path faded");
    const columnId = event.target.value;
    if (!columnId) { status.textContent = `${cy.nodes().length} nodes, ${cy.edges().length} edges.`; return; }
    const response = await fetch(`${api}columns/${columnId}/?direction=both&depth=5`, { credentials: "same-origin" });
    const graph = await response.json();
    const assets = new Set(graph.nodes.map((n) => String(n.asset_id)));
    const columnsByAsset = new Map();
    graph.nodes.forEach((n) => columnsByAsset.set(String(n.asset_id), (columnsByAsset.get(String(n.asset_id)) || []).concat(n.column)));
    const byColumn = new Map(graph.nodes.map((n) => [n.id, String(n.asset_id)]));
    const assetEdges = new Set(graph.edges.map((e) => `${byColumn.get(e.source)}->${byColumn.get(e.target)}`));
    cy.elements().addClass("faded");
    cy.nodes().filter((n) => assets.has(n.id())).removeClass("faded").addClass("path");
    cy.edges().filter((e) => assetEdges.has(e.id())).removeClass("faded").addClass("path");
    const missing = [...assets].filter((id) => !cy.getElementById(id).length).length;
    status.textContent = `Column path: ${graph.nodes.length} columns in ${assets.size} assets` +
      (missing ? ` (${missing} outside the levels shown: raise the levels to see them)` : "") + ".";
    el.dataset.columnMode = columnId;
    el.dataset.pathNodes = String(cy.nodes(".path").length);
    el.dataset.pathEdges = String(cy.edges(".path").length);
  });

  // Lets keyboard users and tests pick a node by its asset id: dispatch "lineage:select".
  el.addEventListener("lineage:select", (event) => {
    const node = cy.getElementById(String(event.detail));
    if (node.length) { node.select(); node.emit("tap"); }
  });

  load();
})();
