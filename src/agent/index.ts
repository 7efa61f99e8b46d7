/** The agent: scraping, the host collector and delivery to the seed. */
export { Agent, type AgentTls } from "./agent.js";
export { HttpTarget } from "./scrape/http-target.js";
export type { ScrapeTarget } from "./scrape/target.js";
