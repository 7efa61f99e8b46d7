import type { ClusterJSON, ProjectJSON } from "../registry/api/index.js";
import { OUTPUT_OPTION, outputFormat, parseCommand, printJSON, str, UsageError } from "./command-args.js";
import { formatFields, formatTable } from "./table.js";

/** Usage of `mirador project …`. */
export const PROJECT_USAGE = `Usage: mirador project COMMAND [--server URL]
  list   [-o json]                    projects and how many clusters each has
  add    NAME [--description TEXT]    create a project
  show   NAME [-o json]               a project and its clusters
  remove NAME                         delete a project that has no clusters left
`;

/** Runs `mirador project SUB …`; throws UsageError, ApiError or CommandError. */
export async function projectCommand(sub: string, args: readonly string[]): Promise<void> {
  switch (sub) {
    case "list":
      return list(args);
    case "add":
      return add(args);
    case "show":
      return show(args);
    case "remove": {
      const { positionals, client } = parseCommand(args, {}, ["NAME"]);
      const name = positionals[0]!;
      await client.call("DELETE", `/projects/${encodeURIComponent(name)}`);
      process.stdout.write(`project ${name} removed\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(sub)}`);
  }
}

async function list(args: readonly string[]): Promise<void> {
  const { values, client } = parseCommand(args, OUTPUT_OPTION, []);
  const format = outputFormat(values);
  const [{ projects }, { clusters }] = await Promise.all([
    client.call<{ projects: ProjectJSON[] }>("GET", "/projects"),
    client.call<{ clusters: ClusterJSON[] }>("GET", "/clusters"),
  ]);
  if (format === "json") return printJSON({ projects });
  const count = (p: string) => String(clusters.filter((c) => c.project === p).length);
  process.stdout.write(
    formatTable([
      ["NAME", "CLUSTERS", "CREATED", "DESCRIPTION"],
      ...projects.map((p) => [p.name, count(p.name), p.created_at, p.description]),
    ]),
  );
}

async function add(args: readonly string[]): Promise<void> {
  const { values, positionals, client } = parseCommand(args, { description: { type: "string" } }, ["NAME"]);
  const name = positionals[0]!;
  const description = str(values, "description");
  await client.call("POST", "/projects", { name, ...(description !== undefined && { description }) });
  process.stdout.write(
    `project ${name} created; add a cluster with: mirador cluster add NAME --project ${name}\n`,
  );
}

async function show(args: readonly string[]): Promise<void> {
  const { values, positionals, client } = parseCommand(args, OUTPUT_OPTION, ["NAME"]);
  const format = outputFormat(values);
  const name = positionals[0]!;
  const project = await client.call<ProjectJSON>("GET", `/projects/${encodeURIComponent(name)}`);
  const { clusters } = await client.call<{ clusters: ClusterJSON[] }>(
    "GET",
    `/clusters?project=${encodeURIComponent(name)}`,
  );
  if (format === "json") return printJSON({ ...project, clusters: clusters.map((c) => c.name) });
  process.stdout.write(
    formatFields([
      ["name", project.name],
      ["description", project.description === "" ? "-" : project.description],
      ["created", project.created_at],
      ["clusters", clusters.length === 0 ? "none" : clusters.map((c) => c.name).join(", ")],
    ]),
  );
}
