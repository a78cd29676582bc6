// The Kubernetes manifests (config/deploy): each kustomization builds with
// kustomize, every resource passes strict validation against the Kubernetes API
// schemas (kubernetes-validate, schemas shipped in the package), the gateway
// config inside them loads with the gateway's own loader, and the discovery
// names in it point at headless Services the overlay defines.
// Tools are installed pinned into .cache/ on first use (scripts/services/deploy-tools.ts;
// building kustomize takes a few minutes once).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseYaml, parseAllDocuments } from 'yaml'
import { beforeAll, describe, expect, it } from 'vitest'
import { kubernetesValidate, kustomizeBinary } from '../../scripts/services/deploy-tools.js'
import { parseConfig } from '../../gateway/config/load.js'
import { readEnv } from '../../gateway/config/env.js'
import { REPO } from './pipeline-harness.js'

/** Oldest and newest Kubernetes minor versions the manifests are checked against. */
const KUBERNETES_VERSIONS = ['1.29.0', '1.34.0']
const BUILDS = ['config/deploy/base', 'config/deploy/overlays/fullstack', 'config/deploy/overlays/production'] as const
/** The models each build's gateway config declares: only the fullstack overlay brings the example. */
const MODELS: Record<(typeof BUILDS)[number], string[]> = {
  'config/deploy/base': ['my-model'],
  'config/deploy/overlays/fullstack': ['fraud'],
  'config/deploy/overlays/production': ['my-model']
}

// Parsed manifests are untyped JSON; the assertions check their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>
const built = new Map<string, { text: string, docs: Obj[] }>()
let validator: { cmd: string, env: NodeJS.ProcessEnv }
const dir = mkdtempSync(join(tmpdir(), 'mg-manifests-'))

function validate (file: string, version: string): { status: number | null, out: string } {
  const r = spawnSync(validator.cmd, ['-m', 'kubernetes_validate', '--strict', '--no-warn', '-k', version, file], { env: { ...process.env, ...validator.env }, encoding: 'utf8' })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

function ofKind (docs: Obj[], kind: string): Obj[] {
  return docs.filter(d => d.kind === kind)
}

/**
 * The environment a container of a workload gets: its ConfigMaps (envFrom) and
 * env entries; a Secret's value stands as "<secret NAME/KEY>".
 */
function podEnv (docs: Obj[], workload: string, container: string): Record<string, string> {
  const w = docs.find(d => d.metadata.name === workload && d.spec?.template !== undefined)!
  const c = (w.spec.template.spec.containers as Obj[]).find(x => x.name === container)!
  const out: Record<string, string> = {}
  for (const f of (c.envFrom ?? []) as Obj[]) Object.assign(out, ofKind(docs, 'ConfigMap').find(m => m.metadata.name === f.configMapRef.name)!.data)
  for (const e of (c.env ?? []) as Obj[]) {
    const ref = e.valueFrom?.secretKeyRef
    out[e.name] = e.value ?? (ref !== undefined ? `<secret ${ref.name}/${ref.key}>` : `<${Object.keys(e.valueFrom ?? {}).join()}>`)
  }
  return out
}

beforeAll(() => {
  const kustomize = kustomizeBinary()
  validator = kubernetesValidate()
  for (const b of BUILDS) {
    const r = spawnSync(kustomize, ['build', join(REPO, b)], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`kustomize build ${b} failed: ${r.stderr}`)
    built.set(b, { text: r.stdout, docs: parseAllDocuments(r.stdout).map(d => d.toJS() as Obj) })
  }
}, 900_000)

describe.each(BUILDS)('%s', (b) => {
  it.each(KUBERNETES_VERSIONS)('every resource passes strict validation against the Kubernetes %s API schemas', (version) => {
    const { text, docs } = built.get(b)!
    const file = join(dir, `${b.replaceAll('/', '_')}.yaml`)
    writeFileSync(file, text)
    const r = validate(file, version)
    expect(r.out).not.toContain('ERROR')
    expect(r.status).toBe(0)
    expect(r.out.split('\n').filter(l => l.startsWith('INFO') && l.includes(' passed ')).length).toBe(docs.length)
  })

  it('the gateway config in the ConfigMap loads with the gateway\'s loader, with the environment the gateway pods get', () => {
    const { docs } = built.get(b)!
    const configs = ofKind(docs, 'ConfigMap').filter(c => typeof c.data?.['gateway.yaml'] === 'string')
    expect(configs).toHaveLength(1)
    const env = podEnv(docs, 'model-gateway', 'gateway')
    const vars: Record<string, string> = { ...env, GATEWAY_HOST: '0.0.0.0', GATEWAY_ADMIN_HOST: '0.0.0.0' }
    const config = parseConfig(configs[0]!.data['gateway.yaml'], `${b}:ConfigMap/${configs[0]!.metadata.name}/gateway.yaml`, readEnv(vars), (n) => vars[n])
    expect(config.host).toBe('0.0.0.0')
    expect(config.state.store).toBe('redis')
    expect(config.state.redisUrl).toBe(env.REDIS_URL)
    expect(config.logging.kafkaBrokers).toEqual(env.KAFKA_BROKERS!.split(','))
    expect(config.rollouts.source).toBe('clickhouse')
    expect(Object.keys(config.models)).toEqual(MODELS[b])
    if (b === 'config/deploy/overlays/fullstack') expect(config.models.fraud!.outcomes).toEqual({ ledger: true, prediction: 'fraud_probability', label: 'binary', threshold: 0.5 })
  })

  it('every container of the project\'s image runs as non-root with a read-only root filesystem, no capabilities and the RuntimeDefault seccomp profile', () => {
    const { docs } = built.get(b)!
    const pods = [...ofKind(docs, 'Deployment'), ...ofKind(docs, 'StatefulSet'), ...ofKind(docs, 'Job')].map(d => ({ name: d.metadata.name as string, spec: d.spec.template.spec as Obj }))
      .concat(ofKind(docs, 'CronJob').map(d => ({ name: d.metadata.name as string, spec: d.spec.jobTemplate.spec.template.spec as Obj })))
    const ours = pods.filter(p => (p.spec.containers as Obj[]).some(c => String(c.image).includes('model-gateway')))
    expect(ours.length).toBeGreaterThanOrEqual(4)
    for (const p of ours) {
      expect({ pod: p.name, runAsNonRoot: p.spec.securityContext?.runAsNonRoot, seccomp: p.spec.securityContext?.seccompProfile?.type }).toEqual({ pod: p.name, runAsNonRoot: true, seccomp: 'RuntimeDefault' })
      for (const c of p.spec.containers as Obj[]) {
        expect({ pod: p.name, ro: c.securityContext?.readOnlyRootFilesystem, esc: c.securityContext?.allowPrivilegeEscalation, drop: c.securityContext?.capabilities?.drop })
          .toEqual({ pod: p.name, ro: true, esc: false, drop: ['ALL'] })
      }
    }
  })

  it('the monitor CronJob runs `model-gateway monitor` weekly over a 7-day window, pushing to the Pushgateway the endpoints name', () => {
    const { docs } = built.get(b)!
    const [cron] = ofKind(docs, 'CronJob')
    expect(cron!.spec.schedule).toMatch(/^\S+ \S+ \* \* [0-6]$/)
    const c = (cron!.spec.jobTemplate.spec.template.spec.containers as Obj[])[0]!
    expect(c.args.slice(0, 3)).toEqual(['monitor', '--window', '7d'])
    expect(c.args).toContain('$(PUSHGATEWAY_URL)')
    const endpoints = ofKind(docs, 'ConfigMap').find(m => String(m.metadata.name).startsWith('model-gateway-endpoints'))!.data as Record<string, string>
    expect(endpoints.PUSHGATEWAY_URL).toMatch(b === 'config/deploy/overlays/production' ? /^https?:\/\/[^\s/]+:\d+$/ : /^http:\/\/pushgateway:9091$/)
    expect(c.envFrom).toEqual([{ configMapRef: { name: ofKind(docs, 'ConfigMap').find(m => String(m.metadata.name).startsWith('model-gateway-endpoints'))!.metadata.name } }])
  })

  it('the NetworkPolicy admits the admin port only from pods labelled model-gateway/admin-client=true', () => {
    const [np] = ofKind(built.get(b)!.docs, 'NetworkPolicy')
    const rules = np!.spec.ingress as Obj[]
    const admin = rules.filter(r => (r.ports as Obj[]).some(p => p.port === 'admin'))
    expect(admin).toEqual([{ from: [{ podSelector: { matchLabels: { 'model-gateway/admin-client': 'true' } } }], ports: [{ port: 'admin', protocol: 'TCP' }] }])
    expect(rules.filter(r => r.from === undefined).flatMap(r => (r.ports as Obj[]).map(p => p.port))).toEqual(['http'])
  })
})

describe('validation', () => {
  it('rejects a manifest with a misspelt field', () => {
    const file = join(dir, 'misspelt.yaml')
    writeFileSync(file, built.get('config/deploy/base')!.text.replace('readinessProbe:', 'readinesProbe:'))
    const r = validate(file, KUBERNETES_VERSIONS[0]!)
    expect(r.status).not.toBe(0)
    expect(r.out).toContain("'readinesProbe' was unexpected")
  })
})

describe('config/deploy/overlays/production', () => {
  const P = 'config/deploy/overlays/production'
  const WORKLOADS = [['model-gateway', 'gateway'], ['model-gateway-sink', 'sink'], ['model-gateway-migrate', 'migrate']] as const

  it('the gateway connects to Redis, Kafka and ClickHouse over TLS with the users the endpoints name and the passwords of the Secret', () => {
    const { docs } = built.get(P)!
    const env = podEnv(docs, 'model-gateway', 'gateway')
    const cm = ofKind(docs, 'ConfigMap').find(c => typeof c.data?.['gateway.yaml'] === 'string')!
    const config = parseConfig(cm.data['gateway.yaml'], 'production gateway.yaml', readEnv(env), (n) => env[n])
    expect(config.state.redisUrl!.startsWith('rediss://')).toBe(true)
    expect(config.state.redis).toEqual({ username: 'model-gateway', password: '<secret model-gateway-backends/redis-password>', tls: { caFile: '/etc/model-gateway-tls/ca.pem', certFile: undefined, keyFile: undefined } })
    expect(config.logging.kafkaSecurity).toEqual({
      tls: { caFile: '/etc/model-gateway-tls/ca.pem', certFile: undefined, keyFile: undefined },
      sasl: { mechanism: 'scram-sha-512', username: 'model-gateway', password: '<secret model-gateway-backends/kafka-sasl-password>' }
    })
    expect(config.rollouts.clickhouseUrl!.startsWith('https://')).toBe(true)
    expect(config.rollouts.clickhouse.password).toBe('<secret model-gateway-backends/clickhouse-password>')
  })

  it('the gateway, the sink and the migrate Job get the Kafka and ClickHouse passwords from the Secret and the CA where the endpoints point', () => {
    const { docs } = built.get(P)!
    for (const [workload, container] of WORKLOADS) {
      const env = podEnv(docs, workload, container)
      expect({ workload, kafka: env.KAFKA_SASL_PASSWORD, clickhouse: env.CLICKHOUSE_PASSWORD })
        .toEqual({ workload, kafka: '<secret model-gateway-backends/kafka-sasl-password>', clickhouse: '<secret model-gateway-backends/clickhouse-password>' })
      const w = docs.find(d => d.metadata.name === workload && d.spec?.template !== undefined)!
      const spec = w.spec.template.spec as Obj
      const mounts = ((spec.containers as Obj[]).find(c => c.name === container)!.volumeMounts ?? []) as Obj[]
      for (const key of ['KAFKA_TLS_CA_FILE', 'CLICKHOUSE_TLS_CA_FILE']) {
        const file = env[key]!
        const mount = mounts.find(m => file.startsWith(`${m.mountPath}/`))
        const volume = (spec.volumes as Obj[]).find(v => v.name === mount?.name)
        expect({ workload, key, secret: volume?.secret?.secretName, item: file.slice(String(mount?.mountPath).length + 1) }).toEqual({ workload, key, secret: 'model-gateway-tls', item: 'ca.pem' })
      }
    }
  })

  it('brings no example model and no backing service of its own', () => {
    const { docs } = built.get(P)!
    expect(ofKind(docs, 'StatefulSet')).toEqual([])
    expect(docs.map(d => String(d.metadata.name)).filter(n => /fraud|^redis|^kafka|^clickhouse/.test(n))).toEqual([])
  })

  it('every Secret and key it refers to is created by the deployment guide, in a step after the namespace and before the apply', async () => {
    const { docs } = built.get(P)!
    const refs = new Set<string>()
    for (const d of docs) {
      const spec = d.spec?.template?.spec as Obj | undefined
      if (spec === undefined) continue
      for (const c of spec.containers as Obj[]) for (const e of (c.env ?? []) as Obj[]) if (e.valueFrom?.secretKeyRef !== undefined) refs.add(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`)
      for (const v of (spec.volumes ?? []) as Obj[]) if (v.secret !== undefined) refs.add(`${v.secret.secretName}/ca.pem`)
    }
    const guide = await readFile(join(REPO, 'docs', 'deployment.md'), 'utf8')
    const steps = guideCommands(guide)
    const created = new Map<string, number>()
    steps.forEach((cmd, i) => {
      const m = /^kubectl -n model-serving create secret generic ([\w-]+) /.exec(cmd)
      if (m === null) return
      for (const k of cmd.matchAll(/ --from-(?:literal|file)=([\w.-]+)=/g)) created.set(`${m[1]}/${k[1]}`, i)
    })
    expect([...refs].filter(r => !created.has(r))).toEqual([])
    const namespace = steps.findIndex(c => c.startsWith('kubectl create namespace model-serving'))
    const apply = steps.findIndex(c => c.startsWith('kustomize build config/deploy/overlays/production | kubectl apply -f -'))
    expect(namespace).toBeGreaterThanOrEqual(0)
    expect(apply).toBeGreaterThan(Math.max(...created.values()))
    expect(Math.min(...created.values())).toBeGreaterThan(namespace)
  })
})

/** Shell commands of the guide's code blocks in order, continuation lines joined. */
function guideCommands (markdown: string): string[] {
  const out: string[] = []
  for (const block of markdown.matchAll(/^```(?:sh|console)?\n([\s\S]*?)^```/gm)) {
    const text = block[1]!.replace(/\\\n\s*/g, ' ')
    for (const line of text.split('\n')) if (line.trim() !== '' && !line.trim().startsWith('#')) out.push(line.trim())
  }
  return out
}

describe('config/deploy/overlays/fullstack', () => {
  // A version names its replicas by a headless Service's DNS name (discovery)
  // or by the stable per-pod names of a StatefulSet under one (static list):
  // either way the names must be workloads this overlay runs, on the right port.
  it('every replica the gateway config names is a pod of the overlay behind a headless Service, on the port it names', () => {
    const { docs } = built.get('config/deploy/overlays/fullstack')!
    const cm = ofKind(docs, 'ConfigMap').find(c => typeof c.data?.['gateway.yaml'] === 'string')!
    const file = parseYaml(cm.data['gateway.yaml']) as { models: Record<string, { versions: Record<string, { replicas?: string[], discovery?: { dns: string, port: number } }> }> }
    const targets = Object.values(file.models).flatMap(m => Object.values(m.versions)).flatMap(v => [
      ...(v.discovery === undefined ? [] : [{ name: v.discovery.dns, service: v.discovery.dns.split('.')[0]!, ns: v.discovery.dns.split('.')[1]!, port: v.discovery.port, pod: undefined as string | undefined }]),
      ...(v.replicas ?? []).map(u => {
        const url = new URL(u)
        const [pod, service, ns] = url.hostname.split('.')
        return { name: url.hostname, service: service!, ns: ns!, port: Number(url.port), pod }
      })
    ])
    expect(targets.length).toBeGreaterThan(0)
    for (const t of targets) {
      expect(t.name.endsWith(`.${t.ns}.svc.cluster.local`)).toBe(true)
      const service = ofKind(docs, 'Service').find(s => s.metadata.name === t.service && s.metadata.namespace === t.ns)
      expect({ name: t.name, clusterIP: service?.spec.clusterIP, ports: (service?.spec.ports as Obj[] | undefined)?.map(p => p.port) }).toEqual({ name: t.name, clusterIP: 'None', ports: [t.port] })
      if (t.pod !== undefined) {
        const sts = ofKind(docs, 'StatefulSet').find(x => x.spec.serviceName === t.service && x.metadata.namespace === t.ns)
        const ordinal = Number(t.pod.slice(t.pod.lastIndexOf('-') + 1))
        expect({ name: t.name, pod: `${sts?.metadata.name}-${ordinal}`, exists: ordinal < (sts?.spec.replicas ?? 0) }).toEqual({ name: t.name, pod: t.pod, exists: true })
      }
    }
  })
})
