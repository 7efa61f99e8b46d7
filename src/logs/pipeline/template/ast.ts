import type { Value } from "./value.js";

/** An operand of a command. Field `names` are chained accesses (`.a.b` → `["a", "b"]`). */
export type Arg =
  | { readonly kind: "field"; readonly names: readonly string[]; readonly pos: number }
  | { readonly kind: "var"; readonly name: string; readonly names: readonly string[]; readonly pos: number }
  | { readonly kind: "dot"; readonly pos: number }
  | { readonly kind: "ident"; readonly name: string; readonly pos: number }
  | { readonly kind: "chain"; readonly node: Arg; readonly names: readonly string[]; readonly pos: number }
  | { readonly kind: "pipe"; readonly pipe: Pipe; readonly pos: number }
  | { readonly kind: "lit"; readonly value: Value; readonly pos: number }
  | { readonly kind: "nil"; readonly pos: number };

/** A command: a function name and its arguments, or a single operand. */
export interface Command {
  readonly args: readonly Arg[];
  readonly pos: number;
}

/** A pipeline, optionally declaring (`:=`) or assigning (`=`) variables. */
export interface Pipe {
  readonly decl: readonly string[];
  readonly assign: boolean;
  readonly cmds: readonly Command[];
  readonly pos: number;
}

/** A node of the template body. `if`, `range` and `with` own their branches. */
export type Node =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "action"; readonly pipe: Pipe }
  | {
      readonly kind: "if" | "with" | "range";
      readonly pipe: Pipe;
      readonly list: readonly Node[];
      readonly elseList: readonly Node[];
    }
  | { readonly kind: "break" | "continue"; readonly pos: number };
