/** `mirador up`: the embedded demo. */
export { DEMO_PROJECT, Demo } from "./demo.js";
