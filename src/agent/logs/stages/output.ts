/** The `output` stage: replaces the line with an extracted value (unchanged when the value is absent). */
import type { ConfigReader } from "./config.js";
import { valueToString } from "./entry.js";
import { mapStage, type Sink, type StageEnv } from "./sink.js";

/** Compiles an `output` stage. */
export function outputStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const source = r.string("source", "the extracted name whose value becomes the line");
  r.done();
  return mapStage(next, (e) => {
    const v = e.extracted.get(source);
    if (v !== undefined && v !== null) e.line = valueToString(v);
  });
}
