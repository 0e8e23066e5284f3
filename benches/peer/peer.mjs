// Evaluates an iamsim-peer requests file with @cloud-copilot/iam-simulate
// and times it.
//
//   node peer.mjs --requests out/requests.json [--mode prevalidated|raw]
//                 [--min-seconds 3] [--decisions out/peer.json]
//
// Every request becomes one `Simulation` for `runSimulation` (the package's
// documented entry point, strict mode): the principal's identity policy,
// the bucket policy, one SCP level per organization level from the root
// down to the principal's account, no RCP (the package always adds
// RCPFullAWSAccess), and the request's complete context (`aws_context`, the
// keys AWS sets itself as iamsim derives them, plus the request's `context`).
//
// Modes:
//   raw           the policies are plain JSON documents: runSimulation
//                 validates every policy on every call (what a caller that
//                 simply passes its documents gets);
//   prevalidated  every policy is validated once before the clock starts
//                 (createValidatedPolicy, which runSimulation reuses), so
//                 the timed part is closer to iamsim's, whose policies are
//                 compiled once before timing.
//   unsafe        runUnsafeSimulation: the package's engine without any input
//                 validation or context-key normalisation (its docs: "Use
//                 this if you know what you're doing"). Not the documented
//                 way to simulate; timed only as an upper bound on the peer's
//                 speed, to show how much of its time is validation.
//
// Prints one JSON summary line; --decisions writes every decision with it.

import { readFileSync, writeFileSync } from 'node:fs'
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'
import {
  createValidatedPolicy,
  validateIdentityPolicy,
  validateResourcePolicy,
  validateServiceControlPolicy
} from '@cloud-copilot/iam-policy'

const FORMAT = 'iamsim-peer-requests/1'

function parseArgs(argv) {
  const opts = { mode: 'prevalidated', 'min-seconds': '3' }
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]
    const value = argv[i + 1]
    if (!name.startsWith('--') || value === undefined) {
      throw new Error(`bad argument ${name}: expected --name value pairs`)
    }
    opts[name.slice(2)] = value
  }
  if (!opts.requests) throw new Error('--requests is required')
  if (!['raw', 'prevalidated', 'unsafe'].includes(opts.mode)) {
    throw new Error(`--mode ${opts.mode}: raw, prevalidated or unsafe`)
  }
  return opts
}

const DECISIONS = {
  Allowed: 'allow',
  ImplicitlyDenied: 'implicit_deny',
  ExplicitlyDenied: 'explicit_deny'
}

/** The simulation of one request of the neutral file. */
function simulationOf(req, mode) {
  const prevalidate = mode === 'prevalidated'
  const wrap = (policy, validate) =>
    prevalidate ? createValidatedPolicy(policy, validate) : policy
  const sim = {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: req.resource_account },
      // The keys AWS sets itself (iam-simulate does not derive them), then
      // the request's own keys.
      contextVariables: { ...req.aws_context, ...req.context }
    },
    identityPolicies: [
      { name: 'identity', policy: wrap(req.identity_policy, validateIdentityPolicy) }
    ],
    serviceControlPolicies: req.scp_levels.map((level) => ({
      orgIdentifier: level.target,
      policies: level.policies.map((p, i) => ({
        name: `scp-${level.target}-${i}`,
        policy: wrap(p, validateServiceControlPolicy)
      }))
    })),
    resourceControlPolicies: [],
    // S3 evaluates aws:ResourceTag only on buckets with ABAC enabled; iamsim
    // treats a bucket with declared tags as ABAC-enabled, so say so here.
    additionalSettings: {
      s3: { bucketAbacEnabled: Object.keys(req.resource_tags ?? {}).length > 0 }
    }
  }
  if (req.resource_policy) {
    sim.resourcePolicy =
      mode === 'unsafe'
        ? // runUnsafeSimulation loads the resource policy without a name, and
          // its engine then fails reading metadata().name: carry one.
          createValidatedPolicy(req.resource_policy, () => [], { name: 'resource' })
        : wrap(req.resource_policy, validateResourcePolicy)
  }
  return sim
}

/** Runs one simulation in the chosen mode; always a runSimulation-like result. */
async function simulate(sim, mode) {
  if (mode === 'unsafe') {
    const overallResult = runUnsafeSimulation(sim, {})
    return { resultType: 'single', overallResult }
  }
  return runSimulation(sim, {})
}

function decisionOf(result) {
  if (result.resultType === 'error') {
    return { decision: `error:${result.errors.message}`, errors: result.errors }
  }
  const a = result.result?.analysis ?? {}
  // Which gate said what, and the statements that matched (for disagreements).
  const sids = (analysis, kind) =>
    (analysis?.[kind] ?? []).map((s) => s.statement?.sid?.() ?? s.explain?.identifier)
  const why = {
    identity: a.identityAnalysis?.result,
    resource: a.resourceAnalysis?.result,
    scp: a.scpAnalysis?.result,
    rcp: a.rcpAnalysis?.result,
    sameAccount: a.sameAccount,
    blockedBy: a.blockedBy,
    identityAllow: sids(a.identityAnalysis, 'allowStatements'),
    identityDeny: sids(a.identityAnalysis, 'denyStatements'),
    resourceAllow: sids(a.resourceAnalysis, 'allowStatements'),
    resourceDeny: sids(a.resourceAnalysis, 'denyStatements'),
    ignoredContextKeys: result.result?.ignoredContextKeys
  }
  return {
    decision: DECISIONS[result.overallResult] ?? `unknown:${result.overallResult}`,
    why
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const file = JSON.parse(readFileSync(opts.requests, 'utf8'))
  if (file.format !== FORMAT) throw new Error(`${opts.requests} is not a ${FORMAT} file`)
  const requests = file.requests
  const minMs = Number(opts['min-seconds']) * 1000

  const prepStart = performance.now()
  const sims = requests.map((r) => simulationOf(r, opts.mode))
  const prepMs = performance.now() - prepStart

  // Untimed pass: the decisions (and iam-data's lazy loading).
  const counts = {}
  const decisions = []
  for (let i = 0; i < sims.length; i++) {
    const d = decisionOf(await simulate(sims[i], opts.mode))
    counts[d.decision] = (counts[d.decision] ?? 0) + 1
    decisions.push({ id: requests[i].id, ...d })
  }

  const timed = async (ms) => {
    let n = 0
    const start = performance.now()
    for (;;) {
      for (const sim of sims) {
        const r = await simulate(sim, opts.mode)
        if (r.resultType === undefined) throw new Error('no result')
        n++
      }
      const elapsed = performance.now() - start
      if (elapsed >= ms) return { n, elapsed }
    }
  }
  await timed(Math.min(2000, minMs)) // warm-up: let the JIT settle
  const { n, elapsed } = await timed(minMs)

  // The package's exports hide its package.json: read it from node_modules.
  const pkg = JSON.parse(
    readFileSync(
      new URL('./node_modules/@cloud-copilot/iam-simulate/package.json', import.meta.url),
      'utf8'
    )
  )
  const summary = {
    engine: '@cloud-copilot/iam-simulate',
    version: pkg.version,
    function: opts.mode === 'unsafe' ? 'runUnsafeSimulation' : 'runSimulation',
    mode: opts.mode,
    threads: 1,
    node: process.version,
    requests: sims.length,
    decisions_timed: n,
    seconds: elapsed / 1000,
    per_second: n / (elapsed / 1000),
    mean_ns: (elapsed * 1e6) / n,
    prepare_seconds: prepMs / 1000,
    counts
  }
  console.log(JSON.stringify(summary))
  if (opts.decisions) {
    writeFileSync(opts.decisions, JSON.stringify({ summary, decisions }, null, 2) + '\n')
  }
}

main().catch((e) => {
  console.error(`peer.mjs: ${e.stack ?? e}`)
  process.exit(1)
})
