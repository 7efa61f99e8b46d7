import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** Options of {@link transpileTree}. */
export interface TranspileTreeOptions {
  /**
   * A `node_modules` directory the child may load packages from: imports of packages are then
   * allowed and `outRoot/node_modules` is made a symlink to it. Without it, only `node:` builtins
   * may be imported from outside the tree.
   */
  readonly nodeModules?: string;
}

/**
 * Transpiles `entry` and every module it reaches by relative imports into `outRoot`, keeping their
 * layout relative to `srcRoot`, so a plain `node` child process (which cannot load TypeScript on
 * Node 20) can import them — crash tests kill such children. Only `node:` builtins may be imported
 * from outside unless `opts.nodeModules` is given; anything else is an error, since the child has
 * no bundler.
 */
export async function transpileTree(
  entry: string,
  outRoot: string,
  srcRoot: string,
  opts: TranspileTreeOptions = {},
): Promise<void> {
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, "utf8");
    for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
      if (fileName.startsWith(".")) queue.push(resolve(dirname(file), fileName.replace(/\.js$/, ".ts")));
      else if (!fileName.startsWith("node:") && opts.nodeModules === undefined) {
        throw new Error(`${file} imports package ${fileName}; the crash child can only load node: builtins`);
      }
    }
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    const out = join(outRoot, relative(srcRoot, file)).replace(/\.ts$/, ".js");
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  await writeFile(join(outRoot, "package.json"), '{ "type": "module" }\n');
  if (opts.nodeModules !== undefined) await symlink(opts.nodeModules, join(outRoot, "node_modules"), "dir");
}
