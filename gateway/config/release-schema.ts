/**
 * The release plane's part of the config schema: rollout settings, plan
 * templates, policies, drills and webhooks (rollouts.*), and the per-model
 * verification suites and segments. Plans themselves are checked by
 * gateway/release/plan.ts, with errors naming their path.
 */
import { Type } from '@sinclair/typebox'
import { CookieName, HeaderName, Labels, Name, Rate, Strict, TlsFilesSchema } from './schema-parts.js'

/** One golden file of a verification suite, with its own tolerances. */
export const GoldenFileSchema = Strict({
  /** NDJSON of OIP infer requests (optionally with expected outputs); relative to the config file. */
  file: Type.String({ minLength: 1, maxLength: 1024 }),
  /** Absolute tolerance of lines without their own. */
  tolerance: Type.Optional(Type.Number({ minimum: 0 })),
  /** Share of answers within tolerance of the stable version's needed (lines without expected outputs). */
  minAgreement: Type.Optional(Rate)
})

/** Recorded stable traffic replayed to the candidate (from ClickHouse's sampled records). */
export const ReplaySchema = Strict({
  /** How far back to take recorded requests. */
  windowMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 30 * 86_400_000 })),
  /** Requests replayed at most (the newest). */
  requests: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  /** Requests in flight at once: the load the latency is judged under. */
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  tolerance: Type.Optional(Type.Number({ minimum: 0 })),
  minAgreement: Type.Optional(Rate),
  maxErrorRate: Type.Optional(Rate),
  /** Candidate p99 under load at most the recorded stable p99 x latencyRatio + latencySlackMs. */
  latencyRatio: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
  latencySlackMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 }))
})

/** A named verification suite: golden files, and/or a replay of recorded traffic. */
export const SuiteSchema = Strict({
  files: Type.Optional(Type.Array(GoldenFileSchema, { minItems: 1, maxItems: 32 })),
  replay: Type.Optional(ReplaySchema),
  rounds: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  latencyRatio: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
  latencySlackMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 }))
})

/**
 * Segments of users (a region, a platform): read from a header, a cookie or a
 * request parameter; rollouts judge each segment apart and may be limited to some.
 */
export const SegmentsSchema = Strict({
  header: Type.Optional(HeaderName),
  cookie: Type.Optional(CookieName),
  /** A request-level OIP parameter: "parameters.<name>" (read from the JSON body). */
  field: Type.Optional(Type.String({ pattern: '^parameters\\.[A-Za-z0-9_.-]{1,64}$' })),
  /** The segments by value; any other value (or none) is segment "other". */
  values: Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }), { minItems: 1, maxItems: 32 })
})

/** A named, versioned rollout plan that models' plans refer to. */
export const TemplateSchema = Strict({
  name: Name,
  version: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  /** A rollout plan (gateway/release/plan.ts); checked when the gateway starts. */
  plan: Type.Unknown()
})

/** What every rollout of the models it selects must have. */
export const PolicySchema = Strict({
  name: Name,
  /** Selects models by name… */
  models: Type.Optional(Type.Array(Name, { minItems: 1 })),
  /** …or by labels (all must match). Neither: every model. */
  labels: Type.Optional(Labels),
  /** Check kinds the plan must enable. */
  requireChecks: Type.Optional(Type.Array(Name, { minItems: 1 })),
  /** Verification suites the plan's verify steps must run. */
  requireSuites: Type.Optional(Type.Array(Name, { minItems: 1 })),
  /** Highest canary weight of the first weight step, in basis points. */
  maxFirstStepWeight: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  /** The plan must have an approval step (distinct: by another token than the starter's). */
  requireApproval: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('distinct')]))
})

/** The rollout controller every instance runs (gateway/release/). */
export const RolloutsSchema = Strict({
  enabled: Type.Optional(Type.Boolean()),
  /** Where canary analysis reads: this instance's own traffic, or ClickHouse (fleet-wide). */
  source: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('clickhouse')])),
  clickhouseUrl: Type.Optional(Type.String()),
  clickhouseDatabase: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' })),
  /** Default CLICKHOUSE_USER / CLICKHOUSE_PASSWORD; use ${ENV_VAR} for the password. */
  clickhouseUser: Type.Optional(Type.String({ minLength: 1 })),
  clickhousePassword: Type.Optional(Type.String()),
  /** For an https URL signed by a private CA, or client certificates (default CLICKHOUSE_TLS_*_FILE). */
  clickhouseTls: Type.Optional(TlsFilesSchema),
  tickMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 60_000 })),
  leaseTtlMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 600_000 })),
  staleAfterMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 3_600_000 })),
  /** After a promotion the previous version stays held back this long (a plan's holdback overrides it). */
  holdbackMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 90 * 86_400_000 })),
  /** The release queue: at most this many rollouts in progress across the fleet; more wait their turn. */
  maxInProgress: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  /** Named, versioned plans; a model's release.rollout may name one (template, version, override). */
  templates: Type.Optional(Type.Array(TemplateSchema, { maxItems: 1000 })),
  policies: Type.Optional(Type.Array(PolicySchema, { maxItems: 200 })),
  /** Rollback drills on a schedule (`model-gateway drill <model>` runs one now). */
  drills: Type.Optional(Strict({
    /** Drill each model this often (none when unset). */
    everyMs: Type.Optional(Type.Integer({ minimum: 60_000, maximum: 90 * 86_400_000 })),
    /** The models drilled on the schedule (default: every model). */
    models: Type.Optional(Type.Array(Name, { minItems: 1 })),
    /** The rollback must have reached every instance this long after the controller wrote it. */
    boundMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    /** The drill copy's canary weight, in basis points. */
    weight: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 }))
  })),
  /** Events out: rollout changes, drill results and stale analysis data, as signed JSON POSTs. */
  webhooks: Type.Optional(Type.Array(Strict({
    url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
    /** HMAC-SHA256 key of the x-model-gateway-signature header; use ${ENV_VAR}. */
    secret: Type.String({ minLength: 16, maxLength: 512 }),
    events: Type.Optional(Type.Array(Type.Union([Type.Literal('rollout'), Type.Literal('drill'), Type.Literal('staleness')]), { minItems: 1, maxItems: 3 }))
  }), { maxItems: 16 }))
})
