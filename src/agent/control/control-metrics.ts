import { Counter, Gauge, type Registry } from "prom-client";

/** The agent's self-metrics about its control channel: configuration, certificate, flows. */
export class ControlMetrics {
  /** `mirador_agent_config_version_applied`. */
  readonly versionApplied: Gauge;
  /** `mirador_agent_config_errors_total`: versions refused, unreadable answers or cache. */
  readonly configErrors: Counter;
  /** `mirador_agent_certificate_expiry_timestamp_seconds`. */
  readonly certificateExpiry: Gauge;
  /** `mirador_agent_certificate_renewals_total{result}`: `success` or `failure`. */
  readonly renewals: Counter<"result">;
  /** `mirador_agent_flow_enabled{flow}`. */
  readonly flowEnabled: Gauge<"flow">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.versionApplied = new Gauge({
      name: "mirador_agent_config_version_applied",
      help: "Version of the configuration from the seed that the agent runs (0: none yet).",
      registers,
    });
    this.configErrors = new Counter({
      name: "mirador_agent_config_errors_total",
      help: "Configurations from the seed the agent could not apply: refused versions, unreadable answers or cache.",
      registers,
    });
    this.certificateExpiry = new Gauge({
      name: "mirador_agent_certificate_expiry_timestamp_seconds",
      help: "When the agent's client certificate expires, Unix seconds.",
      registers,
    });
    this.renewals = new Counter({
      name: "mirador_agent_certificate_renewals_total",
      help: "Certificate renewals the agent attempted, by result (success, failure).",
      labelNames: ["result"],
      registers,
    });
    this.flowEnabled = new Gauge({
      name: "mirador_agent_flow_enabled",
      help: "Whether the seed lets the agent send a data flow (1) or switched it off (0).",
      labelNames: ["flow"],
      registers,
    });
    this.renewals.inc({ result: "success" }, 0);
    this.renewals.inc({ result: "failure" }, 0);
    this.flowEnabled.set({ flow: "metrics" }, 1);
  }
}
