import { Labels } from "../../model/labels.js";

/**
 * Applies target labels to a scraped series as Prometheus does with `honor_labels: false`: the
 * target's labels win, and a scraped label they would overwrite is kept as `exported_<name>`.
 * External labels are then added where the series lacks them, except `cluster`, which always names
 * the agent's cluster so that no series can claim another one.
 */
export function applyTargetLabels(
  scraped: Labels,
  target: Readonly<Record<string, string>>,
  external: Readonly<Record<string, string>>,
  cluster: string,
): Labels {
  const flat: string[] = [];
  scraped.forEach((name, value) => {
    const t = target[name];
    if (t !== undefined && t !== "" && name !== "__name__") flat.push(`exported_${name}`, value);
    else flat.push(name, value);
  });
  for (const [name, value] of Object.entries(target)) flat.push(name, value);
  const withTarget = Labels.fromPairs(flat);
  const out = [...withTarget.pairs];
  for (const [name, value] of Object.entries(external)) if (!withTarget.has(name)) out.push(name, value);
  out.push("cluster", cluster);
  return Labels.fromPairs(out);
}
