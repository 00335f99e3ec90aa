import * as fs from 'fs';
import { MODULES, outputPath, render } from '../../scripts/import-kubevirt';
import { referencePath } from '../support/reference';

/**
 * The KubeVirt and CDI bindings in constructs/imports are generated from the pinned releases'
 * OpenAPI by scripts/import-kubevirt.ts; they must match what the script produces today.
 */
describe.each(MODULES.map((m) => [m.output, m] as const))('generated bindings %s', (_name, module) => {
  const available = referencePath(...module.swagger) !== undefined;

  (available ? test : test.skip)('are up to date with the upstream OpenAPI (run scripts/import-kubevirt.ts)', () => {
    // GIVEN
    const committed = fs.readFileSync(outputPath(module), 'utf8');
    // WHEN
    const generated = render(module);
    // THEN
    expect(generated.length).toBeGreaterThan(10000);
    expect(generated === committed).toBe(true);
  });

  test('declare a construct per root kind', () => {
    const committed = fs.readFileSync(outputPath(module), 'utf8');
    for (const root of module.roots) {
      expect(committed).toContain(`apiVersion: '${root.group}/${root.version}',\n    kind: '${root.kind}',`);
    }
  });
});
