/* The live graph view's pure helpers: number format, payload decoding, the palette (loaded before graph_view.js). */
(function () {
  const mg = (globalThis.mgGraph = globalThis.mgGraph || {});
  const POS = (mg.POS = [8, 119, 189]); // TF Playground: blue = positive
  const NEG = (mg.NEG = [245, 147, 34]); // orange = negative

  /* Python's views.graph.format_number: 4 decimals, or 3-digit scientific outside [1e-3, 1e5). */
  function fmt(v) {
    if (v === 0) return "0";
    if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    const a = Math.abs(v);
    if (a >= 1e-3 && a < 1e5) return v.toFixed(4);
    const [m, e] = v.toExponential(3).split("e");
    const n = Math.abs(parseInt(e, 10));
    return `${m}e${e[0] === "-" ? "-" : "+"}${n < 10 ? "0" : ""}${n}`;
  }
  mg.fmt = fmt;
  mg.ordinal = (n) => n + (n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] || "th");
  const signed = (mg.signed = (v) => (v > 0 ? "+" : "") + fmt(v));

  function decode(bytes) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const buf = u8.byteOffset % 4 === 0 ? u8.buffer : u8.slice().buffer;
    const at0 = u8.byteOffset % 4 === 0 ? u8.byteOffset : 0;
    const dv = new DataView(buf, at0);
    if (String.fromCharCode(u8[0], u8[1], u8[2], u8[3]) !== "MGG1") throw new Error("not a graph-view payload");
    const n = dv.getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, at0 + 8, n)));
    const base = at0 + 8 + n;
    const arrays = {};
    for (const [name, [code, off, count]] of Object.entries(header.arrays)) {
      const T = code === "f4" ? Float32Array : code === "i4" ? Int32Array : Uint8Array;
      arrays[name] = new T(buf.slice(base + off, base + off + count * T.BYTES_PER_ELEMENT));
    }
    return { header, arrays };
  }
  mg.decode = decode;

  /* Fill for v on a log scale over four decades below vmax: blue > 0, orange < 0, white 0. */
  function colour(v, vmax) {
    if (Number.isNaN(v)) return "#dddddd";
    if (v === 0 || !(vmax > 0)) return "#ffffff";
    const lo = Math.log10(vmax) - 4;
    let t = Number.isFinite(v) ? (Math.log10(Math.abs(v)) - lo) / 4 : 1;
    t = 0.12 + 0.63 * Math.min(1, Math.max(0, t)); // faint still differs from white; deep still reads in black
    const c = v > 0 ? POS : NEG;
    return `rgb(${Math.round(255 + (c[0] - 255) * t)},${Math.round(255 + (c[1] - 255) * t)},${Math.round(255 + (c[2] - 255) * t)})`;
  }
  mg.colour = colour;

  function maxAbs(a, n) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const v = Math.abs(a[i]);
      if (v > m && Number.isFinite(v)) m = v;
    }
    return m;
  }
  mg.maxAbs = maxAbs;
})();
