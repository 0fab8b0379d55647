/* The live graph view's text: a node's detail line, its two label lines, the static part with titles fitted to
 * their boxes (loaded after graph_codec.js, before graph_view.js). Feature names are user text: textContent and
 * canvas fillText only, never HTML. */
(function () {
  const mg = (globalThis.mgGraph = globalThis.mgGraph || {});
  const STATICS = (mg.statics = mg.statics || new Map()); // layout key -> static part, kept across re-mounts
  const { fmt, signed } = mg;

  /* What a node named after the parameters (layers.L....) is in the Train page's network picture, where neurons are
   * h1.1, h1.2, ... and out.1 (micrograd/views/names.py): "" for any other node. */
  function inPicture(title, nLayers) {
    const m = /^layers\.(\d+)\.(?:(weight|bias)\.(\d+)(?:\.(\d+))?|(\d+)\.([za]))$/.exec(title);
    if (!m) return "";
    const L = +m[1], name = (l, j) => (l === nLayers - 1 ? `out.${j + 1}` : `h${l + 1}.${j + 1}`);
    if (m[2] === "weight") return ` = the weight into ${name(L, +m[3])} from ${L ? name(L - 1, +m[4]) : "input " + (+m[4] + 1)}`;
    if (m[2] === "bias") return ` = the bias of ${name(L, +m[3])}`;
    return ` = ${name(L, +m[5])} ${m[6] === "z" ? "before" : "after"} its activation`;
  }

  // a node's kind in the detail line, in the legend's words
  const KIND_WORDS = { label: "label y", param: "parameter", const: "constant", op: "operation" };

  mg.showDetail = function showDetail(st) {
    const S = st.static, f = st.shown, i = st.selected;
    if (!S || i < 0 || i >= S.n || !f) {
      st.detail.textContent = "Click a node to see its numbers.";
      return;
    }
    const ins = [], outs = [];
    for (let e = 0; e < S.src.length; e++) {
      if (S.dst[e] === i) ins.push(S.titles[S.src[e]] || `#${S.src[e]}`);
      if (S.src[e] === i) outs.push(S.titles[S.dst[e]] || `#${S.dst[e]}`);
    }
    const kind = KIND_WORDS[S.kinds[S.kind[i]]] || S.kinds[S.kind[i]];
    const op = S.ops[i] ? ` (${S.ops[i]})` : "";
    const what = kind && kind !== S.titles[i] ? ` · ${kind}` : ""; // "loss · loss" says it once
    let text = `${S.titles[i]}${st.nLayers ? inPicture(S.titles[i], st.nLayers) : ""}${op}${what} · node ${i} · step ${f.step}: data ${fmt(f.values[i])}, grad ${fmt(f.grads[i])}`;
    if (st.prev) text += `; Δdata ${signed(f.values[i] - st.prev.values[i])}, Δgrad ${signed(f.grads[i] - st.prev.grads[i])}`;
    text += ` · inputs: ${ins.join(", ") || "none"} · used by: ${outs.join(", ") || "none"}`;
    st.detail.textContent = text; // textContent: feature names come from user files and are never HTML
  };

  mg.labelLines = function labelLines(st, i) {
    const f = st.shown;
    if (!f) return ["", ""];
    if (st.prev) return [`Δdata ${signed(f.values[i] - st.prev.values[i])}`, `Δgrad ${signed(f.grads[i] - st.prev.grads[i])}`];
    const knows = mg.lessonKnows || (() => true); // the step-through shows only what its step has computed
    return [`data ${knows(st, i, "value") ? fmt(f.values[i]) : "?"}`, `grad ${knows(st, i, "grad") ? fmt(f.grads[i]) : "?"}`];
  };

  mg.setStatic = function setStatic(st, header, arrays) {
    const S = {
      key: header.key,
      kinds: header.kinds,
      titles: header.titles,
      ops: header.ops,
      size: header.size,
      node: header.node,
      kind: arrays.s_kind,
      x: arrays.s_x,
      y: arrays.s_y,
      src: arrays.s_src,
      dst: arrays.s_dst,
      n: header.titles.length,
    };
    // titles are fixed per architecture, so fitting them into the box is done once
    st.ctx.font = "bold 11px Helvetica, Arial, sans-serif";
    const room = S.node[0] - 10;
    S.short = S.titles.map((t) => {
      if (st.ctx.measureText(t).width <= room) return t;
      let s = t;
      while (s.length > 1 && st.ctx.measureText("…" + s).width > room) s = s.slice(1);
      return "…" + s;
    });
    STATICS.set(S.key, S);
    return S;
  };

})();
