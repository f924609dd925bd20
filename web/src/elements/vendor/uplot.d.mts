// Types for the uPlot ES module that scripts/build.sh copies next to the compiled elements
// (dist/elements/vendor/uplot.mjs), imported by relative path for the same reason as KaTeX's
// (see katex.d.mts). uPlot's own declarations (the devDependency 'uplot') describe it; only
// chart.ts's private members use them, so the published .d.ts files never name this module.
import uPlot from 'uplot';
export default uPlot;
