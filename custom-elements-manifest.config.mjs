// Configuration of @custom-elements-manifest/analyzer (`npx --no-install cem analyze`, run by
// scripts/build.sh): it writes dist/custom-elements.json, the Custom Elements Manifest that
// package.json's `customElements` names, from the element classes' JSDoc (@attr, @fires,
// @csspart, @cssprop). Two things the analyzer does not see by itself are added here:
//  - the tag names: the elements register with defineElement('bn-x', Class)
//    (web/src/elements/base/element.ts), not customElements.define;
//  - the published paths: it reads web/src/**/*.ts, the package ships dist/**/*.js.
// It must not edit package.json (its default): `customElements` is written by hand.

/** Records `defineElement('bn-x', Class)` as the definition of <bn-x>, as the analyzer does for customElements.define. */
function defineElementCalls() {
  return {
    name: 'batchnorm-lab: defineElement calls',
    analyzePhase({ ts, node, moduleDoc }) {
      if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression) || node.expression.text !== 'defineElement') return;
      const [tag, klass] = node.arguments;
      if (!tag || !klass || !ts.isStringLiteral(tag) || !ts.isIdentifier(klass)) return;
      moduleDoc.exports = [...(moduleDoc.exports ?? []), {
        kind: 'custom-element-definition',
        name: tag.text,
        declaration: { name: klass.text, module: moduleDoc.path },
      }];
    },
  };
}

/**
 * Attributes in the order of the class's @attr tags: the analyzer lists first those it finds as
 * literals in observedAttributes (`[...BASE_ATTRIBUTES, 'values']`: it cannot follow the
 * spread), then the other documented ones.
 */
function attributesInJsDocOrder() {
  return {
    name: 'batchnorm-lab: attributes in JSDoc order',
    analyzePhase({ ts, node, moduleDoc }) {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      const doc = moduleDoc.declarations?.find((d) => d.name === node.name.text);
      if (!doc?.attributes) return;
      const text = (node.jsDoc ?? []).map((j) => j.getFullText()).join('\n');
      const order = [...text.matchAll(/@attr(?:ibute)?\s+(?:\{[^}]*\}\s+)?\[?([\w-]+)/g)].map((m) => m[1]);
      const rank = (a) => (order.includes(a.name) ? order.indexOf(a.name) : order.length);
      doc.attributes.sort((a, b) => rank(a) - rank(b));
    },
  };
}

/**
 * The manifest as published: web/src/x.ts (or /web/src/x.js, as the analyzer writes superclass
 * modules) → dist/x.js in every path; no definition from defineElement's own body
 * (customElements.define(name, element) names no tag); no private members; and no nameless
 * event (BnBase.emit dispatches `bn-${name}`, which the analyzer cannot name: each element
 * declares its events with @fires).
 */
function publishedManifest() {
  const published = (p) => p.replace(/^\/?web\/src\//, 'dist/').replace(/\.ts$/, '.js');
  return {
    name: 'batchnorm-lab: published manifest',
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules) {
        mod.exports = mod.exports?.filter((e) => e.kind !== 'custom-element-definition' || /^bn-/.test(e.name));
        for (const d of mod.declarations ?? []) {
          if (d.members) d.members = d.members.filter((m) => m.privacy !== 'private');
          if (d.events) d.events = d.events.filter((e) => e.name);
        }
      }
      const walk = (value) => {
        if (Array.isArray(value)) value.forEach(walk);
        else if (value && typeof value === 'object') {
          for (const [k, v] of Object.entries(value)) {
            if ((k === 'path' || k === 'module') && typeof v === 'string') value[k] = published(v);
            else walk(v);
          }
        }
      };
      walk(customElementsManifest.modules);
    },
  };
}

export default {
  globs: ['web/src/elements/bn-*.ts', 'web/src/elements/index.ts', 'web/src/elements/base/element.ts', 'web/src/elements/training-lab/bn-training-lab.ts'],
  outdir: 'dist',
  packagejson: false,
  plugins: [defineElementCalls(), attributesInJsDocOrder(), publishedManifest()],
};
