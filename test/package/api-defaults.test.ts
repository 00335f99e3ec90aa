import * as path from 'path';
import * as ts from 'typescript';

/**
 * Every optional property of every interface the package entry points export says what
 * happens when it is left out (`@default`), as aws-cdk-lib's props do. Generated bindings
 * (`constructs/imports`, written by `cdk8s import`) are not ours to document.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY_POINTS = [path.join(ROOT, 'lib', 'index.ts'), path.join(ROOT, 'lib', 'blueprints.ts')];

function optionalPropsWithoutDefault(): string[] {
  const program = ts.createProgram(ENTRY_POINTS, { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const missing = new Set<string>();
  for (const entry of ENTRY_POINTS) {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!(symbol.flags & ts.SymbolFlags.Interface)) continue;
      // Inherited props count too (a base interface need not be exported to be part of the API).
      for (const property of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
        for (const member of property.declarations ?? []) {
          if (!ts.isPropertySignature(member) || !member.questionToken) continue;
          const file = path.relative(ROOT, member.getSourceFile().fileName);
          if (file.startsWith(path.join('constructs', 'imports')) || file.startsWith('node_modules')) continue;
          const owner = (member.parent as ts.InterfaceDeclaration).name.text;
          const hasDefault = ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'default');
          if (!hasDefault) missing.add(`${file}: ${owner}.${member.name.getText()}`);
        }
      }
    }
  }
  return [...missing].sort();
}

test('every optional prop of the public API documents its @default', () => {
  expect(optionalPropsWithoutDefault()).toEqual([]);
}, 120_000);
