//! `iamsim-generate`: writes a large, realistic, deterministic iamsim world
//! and scenario files for whole-command benchmarks.
//!
//! ```text
//! iamsim-generate [--seed N] [--accounts N] [--principals N]
//!                 [--scenarios N[,N...]] [--mutate KIND[,KIND...]] --out DIR
//! ```
//!
//! It writes `DIR/world.json` and, for each N, `DIR/scenarios-N.json`
//! (naming `"world": "world.json"`). For each `--mutate` KIND it also
//! writes `DIR/world-KIND.json`, the same world with one change, to time
//! `iamsim diff --before world.json --after world-KIND.json` (see
//! [`Mutation`]). With `--what-can` it writes instead the two worlds that
//! time `iamsim what-can` at scale, `DIR/what-can-fanout.json` (one user
//! who may assume 1,000 roles, 200 buckets) and `DIR/what-can-chain.json`
//! (a chain of 2,000 roles), described in [`what_can`]. Defaults: seed 1, 1000 accounts,
//! 100000 principals (users and roles, about half each), 10000 scenarios.
//! The same arguments always give byte-identical files: the only source of
//! randomness is a splitmix64 generator seeded by `--seed`, and every map is
//! ordered. The scenarios come from one stream, so a smaller file is a prefix
//! of a larger one.
//!
//! The world is an organization: the management account `999999999999`
//! directly under the root, every other account in an OU nested two or three
//! levels deep, and SCPs at some levels (FullAWSAccess beside a Deny that
//! protects buckets or locks regions). Each account has customer managed
//! policies (wildcards, `NotAction`, `aws:SourceIp`, `aws:MultiFactorAuthPresent`
//! and `aws:PrincipalTag` conditions, a permissions boundary), groups, users
//! (some in groups, some with boundaries, some allowed to assume roles in
//! other accounts), roles whose trust policies name other accounts, users or
//! jump roles (some with `sts:ExternalId` or MFA conditions), and buckets
//! whose policies grant other accounts or roles and deny with conditions.
//!
//! The generator keeps a model of everything it wrote, and every scenario's
//! `expect` comes from that model: a small evaluator that knows exactly the
//! policy shapes generated here (which grants, which Deny statements, which
//! conditions), so the expectations are correct by construction. About half
//! the scenarios are allowed; the others are near misses (a missing identity
//! allow, a trust policy that does not name the caller, an object outside the
//! granted prefix, an SCP or bucket-policy Deny, a boundary, a wrong external
//! id, a missing MFA, a wrong source IP, another team's prefix, ...).

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use iamsim_benches::Rng;
use iamsim_benches::what_can;

/// The management account's id.
const MANAGEMENT_ACCOUNT: &str = "999999999999";
/// The organization id.
const ORG_ID: &str = "o-a1b2c3d4e5";
/// The source IP every request comes from unless a step says otherwise.
const GOOD_IP: &str = "203.0.113.7";
/// A source IP outside every `aws:SourceIp` range generated here.
const BAD_IP: &str = "198.51.100.23";
/// The CIDRs `S3DataAccess` allows.
const DATA_CIDRS: [&str; 2] = ["10.0.0.0/8", "203.0.113.0/24"];
/// The region every request is made in unless a step says otherwise.
const GOOD_REGION: &str = "us-east-1";
/// A region the region-lock SCP denies.
const BAD_REGION: &str = "ap-southeast-2";
/// The regions the region-lock SCP allows.
const ALLOWED_REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// Services the region-lock SCP exempts (global services), as in AWS's example.
const REGION_EXEMPT: [&str; 7] = [
    "iam:*",
    "organizations:*",
    "route53:*",
    "sts:*",
    "support:*",
    "cloudfront:*",
    "budgets:*",
];
/// Actions the bucket-protection SCP denies.
const PROTECTED_ACTIONS: [&str; 3] = [
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketPolicy",
];
/// Actions `RequireMFA` leaves allowed without MFA (its `NotAction`).
const MFA_EXEMPT: [&str; 7] = [
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
];
/// AWS managed policy ARNs used (all shipped by iamsim).
const AWS_S3_READ: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
/// See [`AWS_S3_READ`].
const AWS_IAM_READ: &str = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";
/// See [`AWS_S3_READ`].
const AWS_EC2_READ: &str = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";
/// Team names (tag values, policy-variable values, alias words).
const TEAMS: [&str; 8] = [
    "analytics",
    "web",
    "platform",
    "data",
    "mobile",
    "ml",
    "billing",
    "search",
];
/// Department tag values.
const DEPARTMENTS: [&str; 4] = ["engineering", "finance", "research", "operations"];
/// First names for user names.
const FIRST: [&str; 16] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil",
];
/// Last names for user names.
const LAST: [&str; 12] = [
    "smith", "jones", "garcia", "chen", "kumar", "nguyen", "muller", "rossi", "kowalski", "silva",
    "tanaka", "okafor",
];

/// Command line settings.
struct Config {
    /// PRNG seed.
    seed: u64,
    /// Number of accounts, the management account included.
    accounts: usize,
    /// Number of users plus roles.
    principals: usize,
    /// Scenario counts, one file each.
    scenarios: Vec<usize>,
    /// Output directory.
    out: PathBuf,
    /// Mutated copies of the world to write beside it.
    mutations: Vec<Mutation>,
    /// Write the two what-can worlds instead of the large world.
    what_can: bool,
}

/// The usage text.
const USAGE: &str = "usage: iamsim-generate [--seed N] [--accounts N] [--principals N] [--scenarios N[,N...]] [--mutate role-inline|bucket-policy|managed|trust|root-scp[,...]] [--what-can] --out DIR";

/// Parses the command line (without the program name).
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Config, String> {
    let mut cfg = Config {
        seed: 1,
        accounts: 1000,
        principals: 100_000,
        scenarios: vec![10_000],
        out: PathBuf::new(),
        mutations: Vec::new(),
        what_can: false,
    };
    let mut out = None;
    let num = |flag: &str, v: Option<String>| -> Result<u64, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        v.trim()
            .parse::<u64>()
            .map_err(|e| format!("{flag} {v}: {e}\n{USAGE}"))
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => cfg.seed = num("--seed", args.next())?,
            "--accounts" => {
                cfg.accounts =
                    usize::try_from(num("--accounts", args.next())?).map_err(|e| e.to_string())?
            }
            "--principals" => {
                cfg.principals =
                    usize::try_from(num("--principals", args.next())?).map_err(|e| e.to_string())?
            }
            "--scenarios" => {
                let v = args
                    .next()
                    .ok_or_else(|| format!("--scenarios needs a value\n{USAGE}"))?;
                cfg.scenarios = v
                    .split(',')
                    .map(|s| {
                        num("--scenarios", Some(s.to_string()))
                            .and_then(|n| usize::try_from(n).map_err(|e| e.to_string()))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--mutate" => {
                let v = args
                    .next()
                    .ok_or_else(|| format!("--mutate needs a value\n{USAGE}"))?;
                for kind in v.split(',') {
                    cfg.mutations.push(Mutation::parse(kind)?);
                }
            }
            "--what-can" => cfg.what_can = true,
            "--out" => {
                out = Some(PathBuf::from(
                    args.next()
                        .ok_or_else(|| format!("--out needs a value\n{USAGE}"))?,
                ));
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument \"{other}\"\n{USAGE}")),
        }
    }
    cfg.out = out.ok_or_else(|| format!("--out DIR is required\n{USAGE}"))?;
    if cfg.accounts == 0 || cfg.accounts > 1_000_000 {
        return Err("--accounts must be between 1 and 1000000".into());
    }
    if cfg.principals < 2 {
        return Err("--principals must be at least 2 (one user, one role)".into());
    }
    if cfg.scenarios.is_empty() {
        return Err("--scenarios needs at least one count".into());
    }
    Ok(cfg)
}

// ---------------------------------------------------------------------------
// The model of the generated world

/// A user: account index and user index.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct UserRef(usize, usize);

/// A role: account index and role index.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct RoleRef(usize, usize);

/// A bucket: account index and bucket index.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct BucketRef(usize, usize);

/// Which Deny SCPs a level carries (beside FullAWSAccess).
#[derive(Clone, Copy, Default)]
struct ScpSet {
    /// The level has an `scps` key (else AWS's default FullAWSAccess).
    listed: bool,
    /// Deny outside [`ALLOWED_REGIONS`] except global services.
    region_lock: bool,
    /// Deny [`PROTECTED_ACTIONS`].
    protect_buckets: bool,
    /// Deny `organizations:LeaveOrganization`.
    deny_leave: bool,
}

impl ScpSet {
    /// The Deny effects of two levels together.
    fn union(self, o: ScpSet) -> ScpSet {
        ScpSet {
            listed: self.listed || o.listed,
            region_lock: self.region_lock || o.region_lock,
            protect_buckets: self.protect_buckets || o.protect_buckets,
            deny_leave: self.deny_leave || o.deny_leave,
        }
    }
}

/// An organizational unit.
struct Ou {
    /// Its id, e.g. `ou-prod-eu`.
    id: String,
    /// Parent OU index; `None` is the root.
    parent: Option<usize>,
    /// Its SCPs.
    scps: ScpSet,
    /// Environment word for the aliases of its accounts.
    env: &'static str,
}

/// What a bucket holds, which decides its name and policy.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BucketKind {
    /// Shared reports (`reports/`), granted to other accounts.
    Reports,
    /// Data (`data/`), read through `S3DataAccess`.
    Data,
    /// Team folders (`teams/TEAM/`), read through `ProjectTagAccess`.
    Teams,
    /// Exports (`exports/`), granted to roles of other accounts.
    Exports,
    /// Logs.
    Logs,
}

impl BucketKind {
    /// The suffix of the bucket name.
    fn word(self) -> &'static str {
        match self {
            BucketKind::Reports => "reports",
            BucketKind::Data => "data",
            BucketKind::Teams => "teams",
            BucketKind::Exports => "exports",
            BucketKind::Logs => "logs",
        }
    }
}

/// A bucket and its policy.
struct Bucket {
    /// Globally unique name.
    name: String,
    /// Its kind.
    kind: BucketKind,
    /// Whether it has a bucket policy at all.
    policy: bool,
    /// Accounts (by root ARN) allowed `s3:GetObject` on `reports/*` and `s3:ListBucket`.
    readers: Vec<usize>,
    /// Roles of other accounts allowed `s3:GetObject` on `exports/*`.
    partner_roles: Vec<RoleRef>,
    /// Deny `s3:*` when `aws:SecureTransport` is false.
    deny_insecure: bool,
    /// Deny `s3:DeleteObject` to all but `role/BucketAdmin*` (none exist).
    deny_delete: bool,
    /// Deny `s3:GetObject` on `confidential/*` without MFA (BoolIfExists).
    deny_confidential: bool,
}

/// A user and what its policies amount to.
struct User {
    /// Name, unique in its account.
    name: String,
    /// IAM path.
    path: &'static str,
    /// In group `developers` (`S3DataAccess`, `Ec2Describe`).
    developers: bool,
    /// In group `readonly` (AmazonS3ReadOnlyAccess, IAMReadOnlyAccess).
    readonly: bool,
    /// In group `analysts` (`ProjectTagAccess`).
    analysts: bool,
    /// In group `storage-admins` (s3:* on the account's buckets).
    storage_admin: bool,
    /// In group `mfa-enforced` (`RequireMFA`).
    mfa_enforced: bool,
    /// AmazonS3ReadOnlyAccess attached directly.
    direct_s3_read: bool,
    /// `Ec2Describe` attached directly.
    direct_ec2: bool,
    /// Permissions boundary `DevBoundary`.
    boundary: bool,
    /// Tag `team`.
    team: Option<&'static str>,
    /// Tag `department`.
    department: Option<&'static str>,
    /// Tag `cost-center`.
    cost_center: Option<u32>,
    /// Inline `self-service` (own access keys).
    self_service: bool,
    /// Roles its inline policy lets it assume by ARN.
    assume: Vec<RoleRef>,
    /// Accounts whose `role/cross-account/*` it may assume (wildcard).
    assume_wild: Vec<usize>,
}

impl User {
    /// Has AmazonS3ReadOnlyAccess by any route.
    fn s3_read(&self) -> bool {
        self.readonly || self.direct_s3_read
    }
}

/// The role archetypes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RoleKind {
    /// Trusts other accounts' roots; reads reports.
    Reader,
    /// Trusts specific users of other accounts; reads reports.
    Partner,
    /// Trusts other accounts' roots; may assume `role/chain/*` anywhere.
    Jump,
    /// Trusts jump roles by ARN; reads reports.
    Chain,
    /// Trusts its own account; S3 and IAM read-only.
    ReadOnly,
    /// Trusts `ec2.amazonaws.com` only.
    Service,
}

/// A trust policy.
#[derive(Default)]
struct Trust {
    /// Accounts named by root ARN.
    accounts: Vec<usize>,
    /// Users named by ARN.
    users: Vec<UserRef>,
    /// Roles named by ARN.
    roles: Vec<RoleRef>,
    /// Names the EC2 service.
    service: bool,
    /// Condition `StringEquals sts:ExternalId`.
    external_id: Option<String>,
    /// Condition `Bool aws:MultiFactorAuthPresent true`.
    mfa: bool,
}

/// A role and what its policies amount to.
struct Role {
    /// Name, unique in its account.
    name: String,
    /// Archetype.
    kind: RoleKind,
    /// IAM path.
    path: &'static str,
    /// Trust policy.
    trust: Trust,
    /// Inline grant: `s3:GetObject` on `BUCKET/PREFIX*` and `s3:ListBucket` on the bucket.
    read: Option<(usize, &'static str)>,
    /// AmazonS3ReadOnlyAccess attached.
    s3_read: bool,
    /// IAMReadOnlyAccess attached.
    iam_read: bool,
    /// AmazonEC2ReadOnlyAccess attached.
    ec2_read: bool,
    /// Inline grant: `sts:AssumeRole` on `arn:aws:iam::*:role/chain/*`.
    jump: bool,
    /// Permissions boundary `DevBoundary`.
    boundary: bool,
    /// Tag `team`.
    team: Option<&'static str>,
}

/// An account.
struct Account {
    /// 12-digit id.
    id: String,
    /// Alias (also the prefix of its bucket names).
    alias: String,
    /// OU index; `None` is the root.
    ou: Option<usize>,
    /// The management account.
    mgmt: bool,
    /// The account's own SCPs.
    own_scps: ScpSet,
    /// The Deny SCPs in force from the root down to the account.
    effective: ScpSet,
    /// Buckets; 0 reports, 1 data, 2 teams, then optional ones.
    buckets: Vec<Bucket>,
    /// Users.
    users: Vec<User>,
    /// Roles.
    roles: Vec<Role>,
}

/// Bucket index of the reports bucket of every account.
const REPORTS: usize = 0;
/// Bucket index of the data bucket of every account.
const DATA: usize = 1;
/// Bucket index of the teams bucket of every account.
const TEAMS_BUCKET: usize = 2;

/// The whole generated world.
struct World {
    /// OUs.
    ous: Vec<Ou>,
    /// The root's SCPs.
    root_scps: ScpSet,
    /// Accounts; index 0 is the management account.
    accounts: Vec<Account>,
}

impl World {
    /// An account by index.
    fn account(&self, a: usize) -> Option<&Account> {
        self.accounts.get(a)
    }
    /// A user by reference.
    fn user(&self, u: UserRef) -> Option<&User> {
        self.accounts.get(u.0)?.users.get(u.1)
    }
    /// A role by reference.
    fn role(&self, r: RoleRef) -> Option<&Role> {
        self.accounts.get(r.0)?.roles.get(r.1)
    }
    /// A bucket by reference.
    fn bucket(&self, b: BucketRef) -> Option<&Bucket> {
        self.accounts.get(b.0)?.buckets.get(b.1)
    }
    /// A user's ARN.
    fn user_arn(&self, u: UserRef) -> Option<String> {
        let acct = self.account(u.0)?;
        let user = acct.users.get(u.1)?;
        Some(format!(
            "arn:aws:iam::{}:user{}{}",
            acct.id, user.path, user.name
        ))
    }
    /// A role's ARN.
    fn role_arn(&self, r: RoleRef) -> Option<String> {
        let acct = self.account(r.0)?;
        let role = acct.roles.get(r.1)?;
        Some(format!(
            "arn:aws:iam::{}:role{}{}",
            acct.id, role.path, role.name
        ))
    }
    /// An account's root ARN.
    fn root_arn(&self, a: usize) -> Option<String> {
        Some(format!("arn:aws:iam::{}:root", self.account(a)?.id))
    }
}

// ---------------------------------------------------------------------------
// Building the world

/// Splits `total` over `n` slots with random weights 1 to 4.
fn allocate(total: usize, n: usize, rng: &mut Rng) -> Vec<usize> {
    let weights: Vec<u64> = (0..n).map(|_| 1 + rng.below(4) as u64).collect();
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut out: Vec<usize> = weights
        .iter()
        .map(|w| (total as u64 * w / sum) as usize)
        .collect();
    let mut rest = total.saturating_sub(out.iter().sum::<usize>());
    let mut i = 0;
    while rest > 0 && n > 0 {
        if let Some(x) = out.get_mut(i % n) {
            *x += 1;
        }
        rest -= 1;
        i += 1;
    }
    out
}

/// The OU tree: six top-level OUs, two to four children each, some with
/// a third level.
fn build_ous(rng: &mut Rng) -> Vec<Ou> {
    const L1: [&str; 6] = ["prod", "staging", "dev", "sandbox", "shared", "security"];
    const L2: [&str; 8] = [
        "eu",
        "us",
        "apac",
        "payments",
        "analytics",
        "platform",
        "web",
        "data",
    ];
    const L3: [&str; 4] = ["team-a", "team-b", "team-c", "legacy"];
    let mut ous = Vec::new();
    for env in L1 {
        let scps = ScpSet {
            listed: matches!(env, "prod" | "sandbox" | "security"),
            region_lock: env == "sandbox",
            protect_buckets: matches!(env, "prod" | "security"),
            deny_leave: env == "security",
        };
        let l1 = ous.len();
        ous.push(Ou {
            id: format!("ou-{env}"),
            parent: None,
            scps,
            env,
        });
        let start = rng.below(L2.len());
        for k in 0..rng.range(2, 4) {
            let sub = L2.get((start + k) % L2.len()).copied().unwrap_or("x");
            let l2 = ous.len();
            let id = format!("ou-{env}-{sub}");
            ous.push(Ou {
                id: id.clone(),
                parent: Some(l1),
                scps: random_scps(rng),
                env,
            });
            if rng.percent(40) {
                for leaf in L3.iter().take(rng.range(1, 2)) {
                    ous.push(Ou {
                        id: format!("{id}-{leaf}"),
                        parent: Some(l2),
                        scps: random_scps(rng),
                        env,
                    });
                }
            }
        }
    }
    ous
}

/// SCPs of a lower OU: mostly none (FullAWSAccess by default).
fn random_scps(rng: &mut Rng) -> ScpSet {
    let region_lock = rng.percent(20);
    let protect_buckets = rng.percent(15);
    ScpSet {
        listed: region_lock || protect_buckets,
        region_lock,
        protect_buckets,
        deny_leave: false,
    }
}

/// Builds the whole model: the organization, the accounts, their principals
/// and buckets, then the trust policies, grants and bucket policies that
/// link accounts together.
fn build_world(cfg: &Config, rng: &mut Rng) -> World {
    let ous = build_ous(rng);
    let root_scps = ScpSet {
        listed: true,
        deny_leave: true,
        ..ScpSet::default()
    };
    let n = cfg.accounts;
    let users_total = cfg.principals / 2;
    let roles_total = cfg.principals - users_total;
    let users_per = allocate(users_total, n, rng);
    let roles_per = allocate(roles_total, n, rng);
    let mut accounts = Vec::with_capacity(n);
    for i in 0..n {
        let mgmt = i == 0;
        let id = if mgmt {
            MANAGEMENT_ACCOUNT.to_string()
        } else {
            format!("{:012}", 100_000_000_000u64 + i as u64 * 104_729)
        };
        let ou = if mgmt {
            None
        } else {
            Some(rng.below(ous.len()))
        };
        let env = ou.and_then(|o| ous.get(o)).map_or("mgmt", |o| o.env);
        let alias = if mgmt {
            "org-management".to_string()
        } else {
            format!("{}-{env}-{i}", rng.word(&TEAMS))
        };
        let own_scps = if !mgmt && rng.percent(3) {
            ScpSet {
                listed: true,
                region_lock: true,
                ..ScpSet::default()
            }
        } else {
            ScpSet::default()
        };
        let mut effective = own_scps.union(root_scps);
        let mut cur = ou;
        let mut guard = 0;
        while let Some(o) = cur.and_then(|o| ous.get(o)) {
            effective = effective.union(o.scps);
            cur = o.parent;
            guard += 1;
            if guard > 8 {
                break;
            }
        }
        if mgmt {
            effective = ScpSet::default();
        }
        let mut buckets = Vec::new();
        let mut kinds = vec![BucketKind::Reports, BucketKind::Data, BucketKind::Teams];
        if rng.percent(50) {
            kinds.push(BucketKind::Exports);
        }
        if rng.percent(40) {
            kinds.push(BucketKind::Logs);
        }
        for kind in kinds {
            buckets.push(Bucket {
                name: format!("{alias}-{id}-{}", kind.word()),
                kind,
                policy: false,
                readers: Vec::new(),
                partner_roles: Vec::new(),
                deny_insecure: false,
                deny_delete: false,
                deny_confidential: false,
            });
        }
        let users = (0..users_per.get(i).copied().unwrap_or(0))
            .map(|j| new_user(j, rng))
            .collect();
        let nroles = roles_per.get(i).copied().unwrap_or(0);
        let roles = (0..nroles).map(|j| new_role(j, rng)).collect();
        accounts.push(Account {
            id,
            alias,
            ou,
            mgmt,
            own_scps,
            effective,
            buckets,
            users,
            roles,
        });
    }
    let mut w = World {
        ous,
        root_scps,
        accounts,
    };
    name_roles(&mut w);
    link(&mut w, rng);
    w
}

/// A user with random groups, tags and boundary (grants come later).
fn new_user(j: usize, rng: &mut Rng) -> User {
    let name = format!("{}.{}{}", rng.word(&FIRST), rng.word(&LAST), j);
    let path = if rng.percent(85) {
        "/"
    } else if rng.percent(50) {
        "/engineering/"
    } else {
        "/contractors/"
    };
    User {
        name,
        path,
        developers: rng.percent(45),
        readonly: rng.percent(30),
        analysts: rng.percent(25),
        storage_admin: rng.percent(5),
        mfa_enforced: rng.percent(20),
        direct_s3_read: rng.percent(8),
        direct_ec2: rng.percent(8),
        boundary: rng.percent(20),
        team: rng.percent(80).then(|| rng.word(&TEAMS)),
        department: rng.percent(60).then(|| rng.word(&DEPARTMENTS)),
        cost_center: rng.percent(30).then(|| 1000 + rng.below(9000) as u32),
        self_service: rng.percent(30),
        assume: Vec::new(),
        assume_wild: Vec::new(),
    }
}

/// A role of a random archetype (the first six of an account cover all
/// archetypes); names, trust and grants come later.
fn new_role(j: usize, rng: &mut Rng) -> Role {
    const FIRST_SIX: [RoleKind; 6] = [
        RoleKind::Reader,
        RoleKind::Jump,
        RoleKind::Chain,
        RoleKind::Partner,
        RoleKind::ReadOnly,
        RoleKind::Service,
    ];
    let kind = match FIRST_SIX.get(j) {
        Some(k) => *k,
        None => match rng.below(100) {
            0..30 => RoleKind::Reader,
            30..45 => RoleKind::Partner,
            45..55 => RoleKind::Jump,
            55..70 => RoleKind::Chain,
            70..85 => RoleKind::ReadOnly,
            _ => RoleKind::Service,
        },
    };
    let (path, read, s3_read, boundary) = match kind {
        RoleKind::Reader => (
            "/cross-account/",
            Some((REPORTS, "reports/")),
            rng.percent(30),
            rng.percent(15),
        ),
        RoleKind::Partner => (
            "/partners/",
            Some((REPORTS, "reports/")),
            rng.percent(10),
            false,
        ),
        RoleKind::Jump => ("/", None, false, false),
        RoleKind::Chain => (
            "/chain/",
            Some((REPORTS, "reports/")),
            rng.percent(20),
            rng.percent(15),
        ),
        RoleKind::ReadOnly => ("/", None, true, false),
        RoleKind::Service => ("/service-role/", Some((DATA, "data/")), false, false),
    };
    Role {
        name: String::new(),
        kind,
        path,
        trust: Trust::default(),
        read,
        s3_read,
        iam_read: kind == RoleKind::ReadOnly,
        ec2_read: kind == RoleKind::Service,
        jump: kind == RoleKind::Jump,
        boundary,
        team: rng.percent(40).then(|| rng.word(&TEAMS)),
    }
}

/// Names roles `KIND-N`, numbered per archetype within each account.
fn name_roles(w: &mut World) {
    for acct in &mut w.accounts {
        let mut counters = [0usize; 6];
        for role in &mut acct.roles {
            let (slot, word) = match role.kind {
                RoleKind::Reader => (0, "CrossAccountReader"),
                RoleKind::Partner => (1, "PartnerAccess"),
                RoleKind::Jump => (2, "JumpRole"),
                RoleKind::Chain => (3, "ChainTarget"),
                RoleKind::ReadOnly => (4, "ReadOnly"),
                RoleKind::Service => (5, "ec2-app"),
            };
            let k = counters.get(slot).copied().unwrap_or(0);
            if let Some(c) = counters.get_mut(slot) {
                *c += 1;
            }
            role.name = format!("{word}-{k}");
        }
    }
}

/// A random account other than `not` (None when there is only one).
fn other_account(rng: &mut Rng, n: usize, not: usize) -> Option<usize> {
    if n < 2 {
        return None;
    }
    let a = rng.below(n - 1);
    Some(if a >= not { a + 1 } else { a })
}

/// Distinct random accounts other than `not`, up to `k`.
fn other_accounts(rng: &mut Rng, n: usize, not: usize, k: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for _ in 0..k {
        if let Some(a) = other_account(rng, n, not) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// A random user of account `a`.
fn random_user_of(w: &World, rng: &mut Rng, a: usize) -> Option<UserRef> {
    let n = w.account(a)?.users.len();
    (n > 0).then(|| UserRef(a, rng.below(n)))
}

/// Fills trust policies, users' assume grants and bucket policies.
fn link(w: &mut World, rng: &mut Rng) {
    let n = w.accounts.len();
    let mut jumps = Vec::new();
    let mut s3_readers = Vec::new();
    for (a, acct) in w.accounts.iter().enumerate() {
        for (r, role) in acct.roles.iter().enumerate() {
            if role.kind == RoleKind::Jump {
                jumps.push(RoleRef(a, r));
            }
            if role.s3_read && role.kind != RoleKind::ReadOnly {
                s3_readers.push(RoleRef(a, r));
            }
        }
    }
    // Grants to add to users: (user, role) and (user, wildcard account).
    let mut grants: Vec<(UserRef, RoleRef)> = Vec::new();
    let mut wild: Vec<(UserRef, usize)> = Vec::new();
    let mut trusts: Vec<(RoleRef, Trust)> = Vec::new();
    for a in 0..n {
        let nroles = w.account(a).map_or(0, |x| x.roles.len());
        for r in 0..nroles {
            let Some(kind) = w.role(RoleRef(a, r)).map(|x| x.kind) else {
                continue;
            };
            let me = RoleRef(a, r);
            let mut t = Trust::default();
            match kind {
                RoleKind::Reader | RoleKind::Jump => {
                    let k = if kind == RoleKind::Reader { 3 } else { 2 };
                    let count = rng.range(1, k);
                    t.accounts = other_accounts(rng, n, a, count);
                    if t.accounts.is_empty() {
                        t.accounts.push(a);
                    }
                    if kind == RoleKind::Reader {
                        if rng.percent(25) {
                            t.external_id = Some(format!("ext-{:012x}", rng.next_u64() >> 16));
                        } else if rng.percent(20) {
                            t.mfa = true;
                        }
                    }
                    for &ta in &t.accounts {
                        for _ in 0..rng.range(1, 3) {
                            if let Some(u) = random_user_of(w, rng, ta) {
                                grants.push((u, me));
                            }
                        }
                        if kind == RoleKind::Reader && rng.percent(20) {
                            if let Some(u) = random_user_of(w, rng, ta) {
                                wild.push((u, a));
                            }
                        }
                    }
                }
                RoleKind::Partner => {
                    for _ in 0..rng.range(1, 3) {
                        let Some(oa) = other_account(rng, n, a) else {
                            break;
                        };
                        if let Some(u) = random_user_of(w, rng, oa) {
                            if !t.users.contains(&u) {
                                t.users.push(u);
                                if rng.percent(90) {
                                    grants.push((u, me));
                                }
                            }
                        }
                    }
                    if t.users.is_empty() {
                        t.accounts.push(a);
                    }
                }
                RoleKind::Chain => {
                    for _ in 0..rng.range(1, 2) {
                        if let Some(&j) = rng.pick(&jumps) {
                            if j != me && !t.roles.contains(&j) {
                                t.roles.push(j);
                            }
                        }
                    }
                    if t.roles.is_empty() {
                        t.accounts.push(a);
                    }
                }
                RoleKind::ReadOnly => {
                    t.accounts.push(a);
                    if rng.percent(50) {
                        for _ in 0..rng.range(1, 3) {
                            if let Some(u) = random_user_of(w, rng, a) {
                                grants.push((u, me));
                            }
                        }
                    }
                }
                RoleKind::Service => t.service = true,
            }
            trusts.push((me, t));
        }
    }
    for (r, t) in trusts {
        if let Some(role) = w.accounts.get_mut(r.0).and_then(|x| x.roles.get_mut(r.1)) {
            role.trust = t;
        }
    }
    // A few stale grants: roles whose trust does not name the user.
    for a in 0..n {
        let nusers = w.account(a).map_or(0, |x| x.users.len());
        for _ in 0..nusers / 10 {
            let Some(u) = random_user_of(w, rng, a) else {
                break;
            };
            let Some(oa) = other_account(rng, n, a) else {
                break;
            };
            let nr = w.account(oa).map_or(0, |x| x.roles.len());
            if nr > 0 {
                grants.push((u, RoleRef(oa, rng.below(nr))));
            }
        }
    }
    for (u, r) in grants {
        if let Some(user) = w.accounts.get_mut(u.0).and_then(|x| x.users.get_mut(u.1)) {
            if !user.assume.contains(&r) {
                user.assume.push(r);
            }
        }
    }
    for (u, a) in wild {
        if let Some(user) = w.accounts.get_mut(u.0).and_then(|x| x.users.get_mut(u.1)) {
            if !user.assume_wild.contains(&a) {
                user.assume_wild.push(a);
            }
        }
    }
    // Bucket policies.
    for a in 0..n {
        let nb = w.account(a).map_or(0, |x| x.buckets.len());
        for b in 0..nb {
            let Some(kind) = w.bucket(BucketRef(a, b)).map(|x| x.kind) else {
                continue;
            };
            let mut readers = Vec::new();
            let mut partner_roles = Vec::new();
            let (policy, deny_delete, deny_confidential) = match kind {
                BucketKind::Reports => {
                    let count = rng.range(1, 4);
                    readers = other_accounts(rng, n, a, count);
                    (true, rng.percent(50), rng.percent(60))
                }
                BucketKind::Data => {
                    let p = rng.percent(70);
                    (p, p && rng.percent(50), p && rng.percent(30))
                }
                BucketKind::Teams => {
                    let p = rng.percent(40);
                    (p, false, p && rng.percent(50))
                }
                BucketKind::Exports => {
                    for _ in 0..rng.range(1, 3) {
                        if let Some(&r) = rng.pick(&s3_readers) {
                            if r.0 != a && !partner_roles.contains(&r) {
                                partner_roles.push(r);
                            }
                        }
                    }
                    (true, rng.percent(30), false)
                }
                BucketKind::Logs => {
                    let p = rng.percent(50);
                    (p, p, false)
                }
            };
            if let Some(bucket) = w.accounts.get_mut(a).and_then(|x| x.buckets.get_mut(b)) {
                bucket.policy = policy;
                bucket.readers = readers;
                bucket.partner_roles = partner_roles;
                bucket.deny_insecure = policy;
                bucket.deny_delete = deny_delete;
                bucket.deny_confidential = deny_confidential;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Writing the world

/// A policy document from its statements.
fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The FullAWSAccess SCP.
fn full_aws_access() -> Value {
    doc(vec![
        json!({"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}),
    ])
}

/// The SCP list of a level (`None`: no `scps` key).
fn scp_list(s: ScpSet) -> Option<Value> {
    if !s.listed {
        return None;
    }
    let mut list = vec![full_aws_access()];
    if s.region_lock {
        list.push(doc(vec![json!({
            "Sid": "DenyOutsideApprovedRegions",
            "Effect": "Deny",
            "NotAction": REGION_EXEMPT,
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ALLOWED_REGIONS}}
        })]));
    }
    if s.protect_buckets {
        list.push(doc(vec![json!({
            "Sid": "ProtectBuckets",
            "Effect": "Deny",
            "Action": PROTECTED_ACTIONS,
            "Resource": "*"
        })]));
    }
    if s.deny_leave {
        list.push(doc(vec![json!({
            "Sid": "DenyLeaveOrganization",
            "Effect": "Deny",
            "Action": "organizations:LeaveOrganization",
            "Resource": "*"
        })]));
    }
    Some(Value::Array(list))
}

/// An object's or bucket's ARN.
fn s3_arn(bucket: &str, key: Option<&str>) -> String {
    match key {
        Some(k) => format!("arn:aws:s3:::{bucket}/{k}"),
        None => format!("arn:aws:s3:::{bucket}"),
    }
}

/// The account's customer managed policies.
fn account_policies(acct: &Account) -> Value {
    let data = acct.buckets.get(DATA).map_or("", |b| b.name.as_str());
    let teams = acct
        .buckets
        .get(TEAMS_BUCKET)
        .map_or("", |b| b.name.as_str());
    let mut m = Map::new();
    m.insert(
        "S3DataAccess".into(),
        doc(vec![
            json!({
                "Sid": "ReadWriteDataPrefix",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": s3_arn(data, Some("data/*")),
                "Condition": {"IpAddress": {"aws:SourceIp": DATA_CIDRS}}
            }),
            json!({
                "Sid": "ListDataBucket",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": s3_arn(data, None),
                "Condition": {"IpAddress": {"aws:SourceIp": DATA_CIDRS}}
            }),
        ]),
    );
    m.insert(
        "Ec2Describe".into(),
        doc(vec![json!({
            "Sid": "DescribeAndMetrics",
            "Effect": "Allow",
            "Action": ["ec2:Describe*", "cloudwatch:Get*", "cloudwatch:List*"],
            "Resource": "*"
        })]),
    );
    m.insert(
        "ProjectTagAccess".into(),
        doc(vec![
            json!({
                "Sid": "OwnTeamPrefix",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": s3_arn(teams, Some("teams/${aws:PrincipalTag/team}/*"))
            }),
            json!({
                "Sid": "ListTeamsForEngineering",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": s3_arn(teams, None),
                "Condition": {"StringEquals": {"aws:PrincipalTag/department": "engineering"}}
            }),
        ]),
    );
    m.insert(
        "RequireMFA".into(),
        doc(vec![json!({
            "Sid": "DenyAllExceptListedIfNoMFA",
            "Effect": "Deny",
            "NotAction": MFA_EXEMPT,
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
        })]),
    );
    m.insert(
        "DevBoundary".into(),
        doc(vec![
            json!({
                "Sid": "BoundaryAllowed",
                "Effect": "Allow",
                "Action": ["s3:*", "sts:AssumeRole", "ec2:Describe*", "cloudwatch:Get*", "cloudwatch:List*"],
                "Resource": "*"
            }),
            json!({
                "Sid": "BoundaryNoBucketDeletion",
                "Effect": "Deny",
                "Action": "s3:DeleteBucket",
                "Resource": "*"
            }),
        ]),
    );
    Value::Object(m)
}

/// The account's groups.
fn account_groups(acct: &Account) -> Value {
    let own = format!("arn:aws:s3:::*-{}-*", acct.id);
    json!({
        "developers": {"path": "/", "managed_policies": ["S3DataAccess", "Ec2Describe"], "inline_policies": {}},
        "readonly": {"path": "/", "managed_policies": [AWS_S3_READ, AWS_IAM_READ], "inline_policies": {}},
        "analysts": {"path": "/", "managed_policies": ["ProjectTagAccess"], "inline_policies": {
            "athena-queries": doc(vec![json!({
                "Sid": "RunQueries",
                "Effect": "Allow",
                "Action": ["athena:StartQueryExecution", "athena:GetQuery*", "glue:GetTable*"],
                "Resource": "*"
            })])
        }},
        "storage-admins": {"path": "/", "managed_policies": [], "inline_policies": {
            "bucket-admin": doc(vec![json!({
                "Sid": "AdministerOwnBuckets",
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": [own.clone(), format!("{own}/*")]
            })])
        }},
        "mfa-enforced": {"path": "/", "managed_policies": ["RequireMFA"], "inline_policies": {}}
    })
}

/// A user as world JSON.
fn user_json(w: &World, acct: &Account, u: &User) -> Value {
    let mut groups = Vec::new();
    for (on, g) in [
        (u.developers, "developers"),
        (u.readonly, "readonly"),
        (u.analysts, "analysts"),
        (u.storage_admin, "storage-admins"),
        (u.mfa_enforced, "mfa-enforced"),
    ] {
        if on {
            groups.push(g);
        }
    }
    let mut managed = Vec::new();
    if u.direct_s3_read {
        managed.push(AWS_S3_READ.to_string());
    }
    if u.direct_ec2 {
        managed.push("Ec2Describe".to_string());
    }
    let mut inline = Map::new();
    if !u.assume.is_empty() || !u.assume_wild.is_empty() {
        let mut st = Vec::new();
        let arns: Vec<String> = u.assume.iter().filter_map(|r| w.role_arn(*r)).collect();
        if !arns.is_empty() {
            st.push(json!({"Sid": "AssumeNamedRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arns}));
        }
        let wild: Vec<String> = u
            .assume_wild
            .iter()
            .filter_map(|a| w.account(*a))
            .map(|x| format!("arn:aws:iam::{}:role/cross-account/*", x.id))
            .collect();
        if !wild.is_empty() {
            st.push(json!({"Sid": "AssumeCrossAccountRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": wild}));
        }
        inline.insert("assume-cross-account".into(), doc(st));
    }
    if u.self_service {
        inline.insert(
            "self-service".into(),
            doc(vec![json!({
                "Sid": "ManageOwnAccessKeys",
                "Effect": "Allow",
                "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:ChangePassword"],
                "Resource": format!("arn:aws:iam::{}:user/${{aws:username}}", acct.id)
            })]),
        );
    }
    let mut tags = Map::new();
    if let Some(t) = u.team {
        tags.insert("team".into(), t.into());
    }
    if let Some(d) = u.department {
        tags.insert("department".into(), d.into());
    }
    if let Some(c) = u.cost_center {
        tags.insert("cost-center".into(), format!("cc-{c}").into());
    }
    let mut m = Map::new();
    m.insert("path".into(), u.path.into());
    if !groups.is_empty() {
        m.insert("groups".into(), json!(groups));
    }
    if !managed.is_empty() {
        m.insert("managed_policies".into(), json!(managed));
    }
    if !inline.is_empty() {
        m.insert("inline_policies".into(), Value::Object(inline));
    }
    if u.boundary {
        m.insert("permissions_boundary".into(), "DevBoundary".into());
    }
    if !tags.is_empty() {
        m.insert("tags".into(), Value::Object(tags));
    }
    Value::Object(m)
}

/// A role as world JSON.
fn role_json(w: &World, acct: &Account, r: &Role) -> Value {
    let mut principals: Vec<String> = r
        .trust
        .accounts
        .iter()
        .filter_map(|a| w.root_arn(*a))
        .collect();
    principals.extend(r.trust.users.iter().filter_map(|u| w.user_arn(*u)));
    principals.extend(r.trust.roles.iter().filter_map(|x| w.role_arn(*x)));
    let principal = if r.trust.service {
        json!({"Service": "ec2.amazonaws.com"})
    } else if principals.len() == 1 {
        json!({"AWS": principals.first()})
    } else {
        json!({"AWS": principals})
    };
    let mut st = Map::new();
    st.insert("Sid".into(), "TrustPolicy".into());
    st.insert("Effect".into(), "Allow".into());
    st.insert("Principal".into(), principal);
    st.insert("Action".into(), "sts:AssumeRole".into());
    if let Some(e) = &r.trust.external_id {
        st.insert(
            "Condition".into(),
            json!({"StringEquals": {"sts:ExternalId": e}}),
        );
    } else if r.trust.mfa {
        st.insert(
            "Condition".into(),
            json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        );
    }
    let mut managed = Vec::new();
    if r.s3_read {
        managed.push(AWS_S3_READ);
    }
    if r.iam_read {
        managed.push(AWS_IAM_READ);
    }
    if r.ec2_read {
        managed.push(AWS_EC2_READ);
    }
    let mut inline = Map::new();
    if let Some((b, prefix)) = r.read {
        if let Some(bucket) = acct.buckets.get(b) {
            inline.insert(
                format!("read-{}", bucket.kind.word()),
                doc(vec![
                    json!({
                        "Sid": "ReadObjects",
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": s3_arn(&bucket.name, Some(&format!("{prefix}*")))
                    }),
                    json!({
                        "Sid": "ListBucket",
                        "Effect": "Allow",
                        "Action": "s3:ListBucket",
                        "Resource": s3_arn(&bucket.name, None)
                    }),
                ]),
            );
        }
    }
    if r.jump {
        inline.insert(
            "assume-chain-targets".into(),
            doc(vec![json!({
                "Sid": "AssumeChainTargets",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": "arn:aws:iam::*:role/chain/*"
            })]),
        );
    }
    let mut m = Map::new();
    m.insert("path".into(), r.path.into());
    m.insert("trust_policy".into(), doc(vec![Value::Object(st)]));
    m.insert("managed_policies".into(), json!(managed));
    m.insert("inline_policies".into(), Value::Object(inline));
    m.insert(
        "permissions_boundary".into(),
        if r.boundary {
            "DevBoundary".into()
        } else {
            Value::Null
        },
    );
    let mut tags = Map::new();
    if let Some(t) = r.team {
        tags.insert("team".into(), t.into());
    }
    m.insert("tags".into(), Value::Object(tags));
    Value::Object(m)
}

/// A bucket as world JSON.
fn bucket_json(w: &World, acct: &Account, b: &Bucket) -> Value {
    let name = b.name.as_str();
    let all = [s3_arn(name, None), s3_arn(name, Some("*"))];
    let mut st = Vec::new();
    if b.deny_insecure {
        st.push(json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": all,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }));
    }
    if !b.readers.is_empty() {
        let roots: Vec<String> = b.readers.iter().filter_map(|a| w.root_arn(*a)).collect();
        st.push(json!({
            "Sid": "CrossAccountReadReports",
            "Effect": "Allow",
            "Principal": {"AWS": roots},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [s3_arn(name, None), s3_arn(name, Some("reports/*"))]
        }));
    }
    if !b.partner_roles.is_empty() {
        let roles: Vec<String> = b
            .partner_roles
            .iter()
            .filter_map(|r| w.role_arn(*r))
            .collect();
        st.push(json!({
            "Sid": "PartnerRolesReadExports",
            "Effect": "Allow",
            "Principal": {"AWS": roles},
            "Action": "s3:GetObject",
            "Resource": s3_arn(name, Some("exports/*"))
        }));
    }
    if b.deny_delete {
        st.push(json!({
            "Sid": "DenyObjectDeletionExceptAdmins",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            "Resource": s3_arn(name, Some("*")),
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": format!("arn:aws:iam::{}:role/BucketAdmin*", acct.id)}}
        }));
    }
    if b.deny_confidential {
        st.push(json!({
            "Sid": "DenyConfidentialWithoutMFA",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": s3_arn(name, Some("confidential/*")),
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
        }));
    }
    let mut m = Map::new();
    if b.policy {
        m.insert("policy".into(), doc(st));
    }
    m.insert(
        "tags".into(),
        json!({"data-classification": if b.kind == BucketKind::Logs { "internal" } else { "restricted" }}),
    );
    Value::Object(m)
}

/// An account as world JSON.
fn account_json(w: &World, acct: &Account) -> Value {
    let mut users = Map::new();
    for u in &acct.users {
        users.insert(u.name.clone(), user_json(w, acct, u));
    }
    let mut roles = Map::new();
    for r in &acct.roles {
        roles.insert(r.name.clone(), role_json(w, acct, r));
    }
    let mut buckets = Map::new();
    for b in &acct.buckets {
        buckets.insert(b.name.clone(), bucket_json(w, acct, b));
    }
    let ou = acct
        .ou
        .and_then(|o| w.ous.get(o))
        .map_or("root", |o| o.id.as_str());
    let mut m = Map::new();
    m.insert("alias".into(), acct.alias.clone().into());
    m.insert("ou".into(), ou.into());
    m.insert("policies".into(), account_policies(acct));
    m.insert("groups".into(), account_groups(acct));
    m.insert("users".into(), Value::Object(users));
    m.insert("roles".into(), Value::Object(roles));
    m.insert("buckets".into(), Value::Object(buckets));
    if let Some(s) = scp_list(acct.own_scps) {
        m.insert("scps".into(), s);
    }
    Value::Object(m)
}

/// The organization as world JSON.
fn organization_json(w: &World) -> Value {
    let mut ous = Map::new();
    for ou in &w.ous {
        let mut m = Map::new();
        let parent = ou
            .parent
            .and_then(|p| w.ous.get(p))
            .map_or("root", |p| p.id.as_str());
        m.insert("parent".into(), parent.into());
        if let Some(s) = scp_list(ou.scps) {
            m.insert("scps".into(), s);
        }
        ous.insert(ou.id.clone(), Value::Object(m));
    }
    let mut root = Map::new();
    if let Some(s) = scp_list(w.root_scps) {
        root.insert("scps".into(), s);
    }
    json!({
        "id": ORG_ID,
        "management_account": MANAGEMENT_ACCOUNT,
        "root": Value::Object(root),
        "ous": Value::Object(ous)
    })
}

/// Writes `world.json`, one account at a time (compact JSON), or with
/// `mutation` the same world with that one change.
fn write_world(
    w: &World,
    path: &std::path::Path,
    mutation: Option<Mutation>,
) -> Result<(), String> {
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let jerr = |e: serde_json::Error| format!("{}: {e}", path.display());
    let mut out = BufWriter::new(File::create(path).map_err(err)?);
    let mut pending = mutation;
    out.write_all(b"{\"accounts\":{").map_err(err)?;
    for (i, acct) in w.accounts.iter().enumerate() {
        if i > 0 {
            out.write_all(b",").map_err(err)?;
        }
        serde_json::to_writer(&mut out, &acct.id).map_err(jerr)?;
        out.write_all(b":").map_err(err)?;
        let mut value = account_json(w, acct);
        if let Some(m) = pending {
            let other = w
                .accounts
                .get(i + 1)
                .or_else(|| w.accounts.first())
                .map_or(MANAGEMENT_ACCOUNT, |a| a.id.as_str());
            if !acct.mgmt && m.apply_to_account(&mut value, acct, other) {
                pending = None;
            }
        }
        serde_json::to_writer(&mut out, &value).map_err(jerr)?;
    }
    out.write_all(b"},\"organization\":").map_err(err)?;
    let mut org = organization_json(w);
    if let Some(m) = pending {
        if !m.apply_to_organization(&mut org) {
            return Err(format!(
                "{}: no place in this world for the {} mutation",
                path.display(),
                m.name()
            ));
        }
    }
    serde_json::to_writer(&mut out, &org).map_err(jerr)?;
    out.write_all(b"}\n").map_err(err)?;
    out.flush().map_err(err)
}

// ---------------------------------------------------------------------------
// Mutated copies of the world, for timing `iamsim diff`

/// One change to the generated world, as a reviewer would see in a pull
/// request. Each applies to the first account (not the management account)
/// that has what it changes, or to the organization root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mutation {
    /// A statement added to a role's first inline policy: `s3:PutObject`
    /// on the account's buckets.
    RoleInline,
    /// A statement added to a bucket policy: `s3:GetObject` for another
    /// account.
    BucketPolicy,
    /// A statement added to the `S3DataAccess` customer managed policy,
    /// which the `developers` group (many users) attaches: `s3:PutObject`.
    Managed,
    /// A trust policy widened: a statement trusting another whole account.
    Trust,
    /// A Deny statement added to the organization root's SCPs:
    /// `s3:DeleteObject` everywhere.
    RootScp,
}

impl Mutation {
    /// Every kind, with its `--mutate` name.
    const ALL: [(Mutation, &'static str); 5] = [
        (Mutation::RoleInline, "role-inline"),
        (Mutation::BucketPolicy, "bucket-policy"),
        (Mutation::Managed, "managed"),
        (Mutation::Trust, "trust"),
        (Mutation::RootScp, "root-scp"),
    ];

    /// Reads a `--mutate` name.
    fn parse(name: &str) -> Result<Mutation, String> {
        Mutation::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(m, _)| *m)
            .ok_or_else(|| format!("--mutate {name}: unknown kind\n{USAGE}"))
    }

    /// The `--mutate` name.
    fn name(self) -> &'static str {
        Mutation::ALL
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("", |(_, n)| *n)
    }

    /// Applies the change to one account's JSON if it has what the change
    /// needs; `other` is another account's id. True when applied.
    fn apply_to_account(self, value: &mut Value, acct: &Account, other: &str) -> bool {
        let own = format!("arn:aws:s3:::*-{}-*", acct.id);
        match self {
            Mutation::RoleInline => first_member(value, "roles")
                .and_then(|r| r.get_mut("inline_policies"))
                .and_then(|p| first_object_value(p))
                .is_some_and(|p| {
                    push_statement(
                        p,
                        json!({"Sid": "MutationPutOwnObjects", "Effect": "Allow",
                               "Action": "s3:PutObject", "Resource": format!("{own}/*")}),
                    )
                }),
            Mutation::BucketPolicy => value
                .get_mut("buckets")
                .and_then(Value::as_object_mut)
                .and_then(|bs| bs.iter_mut().find(|(_, b)| b.get("policy").is_some()))
                .and_then(|(name, b)| {
                    let resource = s3_arn(name, Some("*"));
                    b.get_mut("policy").map(|p| (p, resource))
                })
                .is_some_and(|(p, resource)| {
                    push_statement(
                        p,
                        json!({"Sid": "MutationPartnerRead", "Effect": "Allow",
                               "Principal": {"AWS": other}, "Action": "s3:GetObject",
                               "Resource": resource}),
                    )
                }),
            Mutation::Managed => value
                .get_mut("policies")
                .and_then(|p| p.get_mut("S3DataAccess"))
                .is_some_and(|p| {
                    push_statement(
                        p,
                        json!({"Sid": "MutationPutOwnObjects", "Effect": "Allow",
                               "Action": "s3:PutObject", "Resource": format!("{own}/*")}),
                    )
                }),
            Mutation::Trust => first_member(value, "roles")
                .and_then(|r| r.get_mut("trust_policy"))
                .is_some_and(|p| {
                    push_statement(
                        p,
                        json!({"Sid": "MutationTrustAccount", "Effect": "Allow",
                               "Principal": {"AWS": other}, "Action": "sts:AssumeRole"}),
                    )
                }),
            Mutation::RootScp => false,
        }
    }

    /// Applies the change to the organization's JSON. True when applied.
    fn apply_to_organization(self, org: &mut Value) -> bool {
        if self != Mutation::RootScp {
            return false;
        }
        let deny = json!({"Sid": "MutationDenyObjectDeletion", "Effect": "Deny",
                          "Action": "s3:DeleteObject", "Resource": "*"});
        let Some(root) = org.get_mut("root").and_then(Value::as_object_mut) else {
            return false;
        };
        let scps = root
            .entry("scps")
            .or_insert_with(|| Value::Array(vec![full_aws_access()]));
        scps.as_array_mut()
            .and_then(|list| list.first_mut())
            .is_some_and(|first| push_statement(first, deny))
    }
}

/// The first member of the object under `key`.
fn first_member<'v>(value: &'v mut Value, key: &str) -> Option<&'v mut Value> {
    value.get_mut(key).and_then(first_object_value)
}

/// The first member's value of an object.
fn first_object_value(value: &mut Value) -> Option<&mut Value> {
    value
        .as_object_mut()
        .and_then(|m| m.iter_mut().next())
        .map(|(_, v)| v)
}

/// Appends a statement to a policy document's `Statement` list.
fn push_statement(policy: &mut Value, statement: Value) -> bool {
    policy
        .get_mut("Statement")
        .and_then(Value::as_array_mut)
        .map(|list| list.push(statement))
        .is_some()
}

// ---------------------------------------------------------------------------
// The model evaluator

/// A decision, as in `expect`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Decision {
    /// Allowed.
    Allow,
    /// Denied: no allow.
    Implicit,
    /// Denied: a Deny statement applies.
    Explicit,
}

impl Decision {
    /// The `expect` value.
    fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Implicit => "implicit_deny",
            Decision::Explicit => "explicit_deny",
        }
    }
}

/// Who makes a request.
#[derive(Clone, Copy, Debug)]
enum Caller {
    /// An IAM user (long-term keys).
    User(UserRef),
    /// A session of a role.
    Session(RoleRef),
}

/// The S3 operations used.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum S3Op {
    /// `s3:GetObject` on an object.
    Get,
    /// `s3:PutObject` on an object.
    Put,
    /// `s3:DeleteObject` on an object.
    Delete,
    /// `s3:ListBucket` on a bucket.
    List,
    /// `s3:DeleteBucket` on a bucket.
    DeleteBucket,
}

impl S3Op {
    /// The action name.
    fn action(self) -> &'static str {
        match self {
            S3Op::Get => "s3:GetObject",
            S3Op::Put => "s3:PutObject",
            S3Op::Delete => "s3:DeleteObject",
            S3Op::List => "s3:ListBucket",
            S3Op::DeleteBucket => "s3:DeleteBucket",
        }
    }
}

/// A request of an action step.
#[derive(Clone, Debug)]
enum Req {
    /// An S3 request; `key` is `None` for bucket operations.
    S3 {
        /// The operation.
        op: S3Op,
        /// The bucket.
        bucket: BucketRef,
        /// The object key.
        key: Option<String>,
    },
    /// `iam:GetRole` on a role.
    GetRole(RoleRef),
    /// `ec2:DescribeInstances` on `*`.
    Ec2Describe,
}

impl Req {
    /// The action name.
    fn action(&self) -> &'static str {
        match self {
            Req::S3 { op, .. } => op.action(),
            Req::GetRole(_) => "iam:GetRole",
            Req::Ec2Describe => "ec2:DescribeInstances",
        }
    }
}

/// The request context that matters to the generated policies.
#[derive(Clone, Copy, Default, Debug)]
struct Ctx {
    /// `aws:MultiFactorAuthPresent` is true (scenario context).
    mfa: bool,
    /// `aws:SourceIp` is outside the allowed ranges (step context).
    bad_ip: bool,
    /// `aws:RequestedRegion` is not an allowed region (step context).
    bad_region: bool,
    /// `aws:SecureTransport` is false (step context).
    insecure: bool,
}

/// How a resource-based policy names the caller.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// Not at all.
    None,
    /// By its account.
    Account,
    /// By its own ARN (user or role).
    Direct,
}

/// True when a boundary (if any) allows the action.
fn boundary_allows(has: bool, action: &str) -> bool {
    !has || action.starts_with("s3:")
        || action == "sts:AssumeRole"
        || action.starts_with("ec2:Describe")
        || action.starts_with("cloudwatch:Get")
        || action.starts_with("cloudwatch:List")
}

/// True when the region-lock SCP's `NotAction` exempts the action.
fn region_exempt(action: &str) -> bool {
    let service = action.split(':').next().unwrap_or("");
    REGION_EXEMPT
        .iter()
        .any(|p| p.strip_suffix(":*") == Some(service))
}

impl World {
    /// The account of a caller (a session's is its role's).
    fn caller_account(&self, c: Caller) -> usize {
        match c {
            Caller::User(u) => u.0,
            Caller::Session(r) => r.0,
        }
    }

    /// Deny statements of the caller's side: SCPs, `RequireMFA`, boundary.
    fn caller_denies(&self, c: Caller, action: &str, ctx: Ctx) -> Option<bool> {
        let acct = self.account(self.caller_account(c))?;
        if !acct.mgmt {
            let s = acct.effective;
            if s.region_lock && ctx.bad_region && !region_exempt(action) {
                return Some(true);
            }
            if s.protect_buckets && PROTECTED_ACTIONS.contains(&action) {
                return Some(true);
            }
        }
        let boundary = match c {
            Caller::User(u) => {
                let user = self.user(u)?;
                if user.mfa_enforced && !ctx.mfa && !MFA_EXEMPT.contains(&action) {
                    return Some(true);
                }
                user.boundary
            }
            Caller::Session(r) => self.role(r)?.boundary,
        };
        Some(boundary && action == "s3:DeleteBucket")
    }

    /// The caller's boundary, if any, allows the action.
    fn caller_boundary_allows(&self, c: Caller, action: &str) -> Option<bool> {
        let has = match c {
            Caller::User(u) => self.user(u)?.boundary,
            Caller::Session(r) => self.role(r)?.boundary,
        };
        Some(boundary_allows(has, action))
    }

    /// The caller's identity-based policies allow `sts:AssumeRole` on `target`.
    fn identity_allows_assume(&self, c: Caller, target: RoleRef) -> Option<bool> {
        let role = self.role(target)?;
        Some(match c {
            Caller::User(u) => {
                let user = self.user(u)?;
                user.assume.contains(&target)
                    || (user.assume_wild.contains(&target.0) && role.path == "/cross-account/")
            }
            Caller::Session(r) => self.role(r)?.jump && role.path == "/chain/",
        })
    }

    /// The caller's identity-based policies allow the request.
    fn identity_allows(&self, c: Caller, req: &Req, ctx: Ctx) -> Option<bool> {
        let me = self.caller_account(c);
        Some(match (c, req) {
            (Caller::User(u), Req::S3 { op, bucket, key }) => {
                let user = self.user(u)?;
                let own = bucket.0 == me;
                let key = key.as_deref().unwrap_or("");
                let s3_read = user.s3_read() && matches!(op, S3Op::Get | S3Op::List);
                let admin = user.storage_admin && own;
                let data = user.developers
                    && own
                    && bucket.1 == DATA
                    && !ctx.bad_ip
                    && match op {
                        S3Op::Get | S3Op::Put => key.starts_with("data/"),
                        S3Op::List => true,
                        _ => false,
                    };
                let team = user.analysts
                    && own
                    && bucket.1 == TEAMS_BUCKET
                    && match op {
                        S3Op::Get | S3Op::Put => user
                            .team
                            .is_some_and(|t| key.starts_with(&format!("teams/{t}/"))),
                        S3Op::List => user.department == Some("engineering"),
                        _ => false,
                    };
                s3_read || admin || data || team
            }
            (Caller::Session(r), Req::S3 { op, bucket, key }) => {
                let role = self.role(r)?;
                let key = key.as_deref().unwrap_or("");
                let s3_read = role.s3_read && matches!(op, S3Op::Get | S3Op::List);
                let inline = role.read.is_some_and(|(b, prefix)| {
                    bucket.0 == me
                        && bucket.1 == b
                        && match op {
                            S3Op::Get => key.starts_with(prefix),
                            S3Op::List => true,
                            _ => false,
                        }
                });
                s3_read || inline
            }
            (Caller::User(u), Req::GetRole(_)) => self.user(u)?.readonly,
            (Caller::Session(r), Req::GetRole(_)) => self.role(r)?.iam_read,
            (Caller::User(u), Req::Ec2Describe) => {
                let user = self.user(u)?;
                user.developers || user.direct_ec2
            }
            (Caller::Session(r), Req::Ec2Describe) => self.role(r)?.ec2_read,
        })
    }

    /// How `target`'s trust policy names the caller (conditions included).
    fn trust_grant(
        &self,
        c: Caller,
        target: RoleRef,
        ext: Option<&str>,
        ctx: Ctx,
    ) -> Option<Grant> {
        let t = &self.role(target)?.trust;
        if let Some(e) = &t.external_id {
            if ext != Some(e.as_str()) {
                return Some(Grant::None);
            }
        }
        if t.mfa && !ctx.mfa {
            return Some(Grant::None);
        }
        let direct = match c {
            Caller::User(u) => t.users.contains(&u),
            Caller::Session(r) => t.roles.contains(&r),
        };
        Some(if direct {
            Grant::Direct
        } else if t.accounts.contains(&self.caller_account(c)) {
            Grant::Account
        } else {
            Grant::None
        })
    }

    /// How the bucket policy grants the request to the caller.
    fn bucket_grant(&self, c: Caller, req: &Req) -> Option<Grant> {
        let Req::S3 { op, bucket, key } = req else {
            return Some(Grant::None);
        };
        let b = self.bucket(*bucket)?;
        let key = key.as_deref().unwrap_or("");
        let me = self.caller_account(c);
        let reader = b.readers.contains(&me)
            && match op {
                S3Op::Get => key.starts_with("reports/"),
                S3Op::List => true,
                _ => false,
            };
        let partner = match c {
            Caller::Session(r) => {
                b.partner_roles.contains(&r) && *op == S3Op::Get && key.starts_with("exports/")
            }
            Caller::User(_) => false,
        };
        Some(if partner {
            Grant::Direct
        } else if reader {
            Grant::Account
        } else {
            Grant::None
        })
    }

    /// Decides `sts:AssumeRole` on `target` by `c`.
    fn decide_assume(
        &self,
        c: Caller,
        target: RoleRef,
        ext: Option<&str>,
        ctx: Ctx,
    ) -> Option<Decision> {
        let action = "sts:AssumeRole";
        if self.caller_denies(c, action, ctx)? {
            return Some(Decision::Explicit);
        }
        let trust = self.trust_grant(c, target, ext, ctx)?;
        let within = self.caller_boundary_allows(c, action)?;
        let identity = self.identity_allows_assume(c, target)? && within;
        let same = self.caller_account(c) == target.0;
        let ok = match trust {
            Grant::None => false,
            Grant::Direct if same => within,
            _ => identity,
        };
        Some(if ok {
            Decision::Allow
        } else {
            Decision::Implicit
        })
    }

    /// Decides an action request by `c`.
    fn decide_action(&self, c: Caller, req: &Req, ctx: Ctx) -> Option<Decision> {
        let action = req.action();
        if self.caller_denies(c, action, ctx)? {
            return Some(Decision::Explicit);
        }
        let resource_account = match req {
            Req::S3 { op, bucket, key } => {
                let b = self.bucket(*bucket)?;
                if b.deny_insecure && ctx.insecure {
                    return Some(Decision::Explicit);
                }
                if b.deny_delete && *op == S3Op::Delete {
                    return Some(Decision::Explicit);
                }
                if b.deny_confidential
                    && *op == S3Op::Get
                    && !ctx.mfa
                    && key
                        .as_deref()
                        .is_some_and(|k| k.starts_with("confidential/"))
                {
                    return Some(Decision::Explicit);
                }
                bucket.0
            }
            Req::GetRole(r) => r.0,
            Req::Ec2Describe => self.caller_account(c),
        };
        let identity =
            self.identity_allows(c, req, ctx)? && self.caller_boundary_allows(c, action)?;
        let grant = self.bucket_grant(c, req)?;
        let ok = if resource_account == self.caller_account(c) {
            identity || grant == Grant::Direct
        } else {
            identity && grant != Grant::None
        };
        Some(if ok {
            Decision::Allow
        } else {
            Decision::Implicit
        })
    }
}

// ---------------------------------------------------------------------------
// Scenarios

/// A step of a planned scenario.
#[derive(Clone, Debug)]
enum PStep {
    /// `assume_role`.
    Assume {
        /// The role.
        role: RoleRef,
        /// Session name.
        session: String,
        /// External id passed, if any.
        ext: Option<String>,
    },
    /// An action step with its step context.
    Act {
        /// The request.
        req: Req,
        /// Step context flags (`mfa` unused here).
        ctx: Ctx,
    },
}

/// A planned scenario, before evaluation and serialization.
struct Plan {
    /// Short kind of scenario, first part of the name.
    label: &'static str,
    /// Human description, rest of the name.
    what: String,
    /// The principal string of the scenario.
    principal: String,
    /// The initial caller.
    caller: Caller,
    /// Scenario context `aws:MultiFactorAuthPresent: true`.
    mfa: bool,
    /// Steps.
    steps: Vec<PStep>,
}

impl World {
    /// The model's decision for a whole scenario.
    fn evaluate(&self, p: &Plan) -> Option<Decision> {
        let mut caller = p.caller;
        for step in &p.steps {
            let d = match step {
                PStep::Assume { role, ext, .. } => {
                    let ctx = Ctx {
                        mfa: p.mfa,
                        ..Ctx::default()
                    };
                    let d = self.decide_assume(caller, *role, ext.as_deref(), ctx)?;
                    caller = Caller::Session(*role);
                    d
                }
                PStep::Act { req, ctx } => {
                    let ctx = Ctx { mfa: p.mfa, ..*ctx };
                    self.decide_action(caller, req, ctx)?
                }
            };
            if d != Decision::Allow {
                return Some(d);
            }
        }
        Some(Decision::Allow)
    }
}

/// Reverse indexes the scenario templates draw from.
struct Index {
    /// Users with at least one assume grant.
    users_with_grants: Vec<UserRef>,
    /// Users granted each role (by inline ARN).
    users_by_role: BTreeMap<RoleRef, Vec<UserRef>>,
    /// Chain targets trusting each jump role.
    chains_by_jump: BTreeMap<RoleRef, Vec<RoleRef>>,
    /// Jump roles with granted users and chain targets.
    chain_starts: Vec<RoleRef>,
    /// Roles per archetype.
    roles_by_kind: Vec<Vec<RoleRef>>,
    /// Reports buckets granting each account.
    reports_for: Vec<Vec<BucketRef>>,
    /// Exports buckets granting each role.
    exports_for: BTreeMap<RoleRef, Vec<BucketRef>>,
    /// Roles some exports bucket grants.
    export_roles: Vec<RoleRef>,
    /// Roles with an external id or MFA trust condition and granted users.
    conditional_roles: Vec<RoleRef>,
    /// Accounts with users.
    with_users: Vec<usize>,
    /// Accounts under a region-lock SCP, with users.
    region_locked: Vec<usize>,
    /// Accounts under the bucket-protection SCP, with users.
    protected: Vec<usize>,
    /// Buckets with `deny_confidential`.
    confidential: Vec<BucketRef>,
}

/// The archetype's slot in [`Index::roles_by_kind`].
fn kind_slot(k: RoleKind) -> usize {
    match k {
        RoleKind::Reader => 0,
        RoleKind::Partner => 1,
        RoleKind::Jump => 2,
        RoleKind::Chain => 3,
        RoleKind::ReadOnly => 4,
        RoleKind::Service => 5,
    }
}

impl Index {
    /// Builds the indexes.
    fn new(w: &World) -> Index {
        let mut ix = Index {
            users_with_grants: Vec::new(),
            users_by_role: BTreeMap::new(),
            chains_by_jump: BTreeMap::new(),
            chain_starts: Vec::new(),
            roles_by_kind: vec![Vec::new(); 6],
            reports_for: vec![Vec::new(); w.accounts.len()],
            exports_for: BTreeMap::new(),
            export_roles: Vec::new(),
            conditional_roles: Vec::new(),
            with_users: Vec::new(),
            region_locked: Vec::new(),
            protected: Vec::new(),
            confidential: Vec::new(),
        };
        for (a, acct) in w.accounts.iter().enumerate() {
            if !acct.users.is_empty() {
                ix.with_users.push(a);
                if acct.effective.region_lock && !acct.mgmt {
                    ix.region_locked.push(a);
                }
                if acct.effective.protect_buckets && !acct.mgmt {
                    ix.protected.push(a);
                }
            }
            for (u, user) in acct.users.iter().enumerate() {
                if !user.assume.is_empty() {
                    ix.users_with_grants.push(UserRef(a, u));
                }
                for r in &user.assume {
                    ix.users_by_role.entry(*r).or_default().push(UserRef(a, u));
                }
            }
            for (r, role) in acct.roles.iter().enumerate() {
                if let Some(v) = ix.roles_by_kind.get_mut(kind_slot(role.kind)) {
                    v.push(RoleRef(a, r));
                }
                for j in &role.trust.roles {
                    ix.chains_by_jump.entry(*j).or_default().push(RoleRef(a, r));
                }
            }
            for (b, bucket) in acct.buckets.iter().enumerate() {
                for reader in &bucket.readers {
                    if let Some(v) = ix.reports_for.get_mut(*reader) {
                        v.push(BucketRef(a, b));
                    }
                }
                for r in &bucket.partner_roles {
                    ix.exports_for.entry(*r).or_default().push(BucketRef(a, b));
                }
                if bucket.deny_confidential {
                    ix.confidential.push(BucketRef(a, b));
                }
            }
        }
        ix.export_roles = ix.exports_for.keys().copied().collect();
        for (r, users) in &ix.users_by_role {
            let Some(role) = w.role(*r) else { continue };
            if users.is_empty() {
                continue;
            }
            if role.kind == RoleKind::Jump && ix.chains_by_jump.contains_key(r) {
                ix.chain_starts.push(*r);
            }
            if role.trust.external_id.is_some() || role.trust.mfa {
                ix.conditional_roles.push(*r);
            }
        }
        ix
    }
}

/// The scenario templates.
#[derive(Clone, Copy, Debug)]
enum Template {
    /// A user assumes a role it is granted, then reads what the role may.
    AssumeRead,
    /// User -> jump role -> chain target -> read.
    Chain,
    /// A developer writes or reads its account's data prefix.
    DataAccess,
    /// An analyst reads or writes its team's prefix.
    TeamAccess,
    /// A readonly user reads a role of its account.
    GetRole,
    /// `ec2:DescribeInstances`.
    Ec2,
    /// A user with S3 read reads another account's shared reports.
    CrossRead,
    /// A role session reads another account's exports bucket that names it.
    PartnerExport,
    /// A storage admin deletes one of its buckets or objects.
    AdminDelete,
    /// A user assumes a role trusting its account without its own grant.
    NoIdentity,
    /// A user assumes a role of another account that may not trust it.
    Untrusted,
    /// After assuming, an object outside the granted prefix.
    OutsidePrefix,
    /// A request in a region the caller's SCP locks out.
    RegionLock,
    /// `s3:DeleteBucket` under the bucket-protection SCP.
    ProtectedDelete,
    /// An MFA-enforced user without MFA.
    NoMfa,
    /// A developer from outside the allowed IP ranges.
    BadIp,
    /// An analyst on another team's prefix.
    WrongTeam,
    /// A user with a boundary that excludes IAM reads.
    BoundaryIam,
    /// A role with an external id or MFA trust condition, without it.
    TrustCondition,
    /// A confidential object without MFA.
    Confidential,
    /// A request without TLS.
    Insecure,
    /// A user assumes an EC2 service role.
    ServiceRole,
    /// A user reads another account's bucket that does not grant its account.
    CrossNotGranted,
    /// A chain whose second role trusts another jump role.
    ChainUntrusted,
}

/// Templates that tend to allow, with weights.
const ALLOW_SET: [(Template, usize); 9] = [
    (Template::AssumeRead, 6),
    (Template::Chain, 3),
    (Template::DataAccess, 3),
    (Template::TeamAccess, 2),
    (Template::GetRole, 1),
    (Template::Ec2, 1),
    (Template::CrossRead, 2),
    (Template::PartnerExport, 2),
    (Template::AdminDelete, 1),
];

/// Templates that tend to deny, with weights.
const DENY_SET: [(Template, usize); 16] = [
    (Template::NoIdentity, 3),
    (Template::Untrusted, 3),
    (Template::OutsidePrefix, 3),
    (Template::RegionLock, 2),
    (Template::ProtectedDelete, 1),
    (Template::NoMfa, 2),
    (Template::BadIp, 2),
    (Template::WrongTeam, 2),
    (Template::BoundaryIam, 1),
    (Template::TrustCondition, 2),
    (Template::Confidential, 2),
    (Template::Insecure, 1),
    (Template::ServiceRole, 1),
    (Template::CrossNotGranted, 2),
    (Template::ChainUntrusted, 2),
    (Template::AdminDelete, 1),
];

/// Draws scenarios from a world.
struct Gen<'w> {
    /// The world.
    w: &'w World,
    /// Its indexes.
    ix: Index,
    /// The scenario stream's PRNG.
    rng: Rng,
}

/// A file name for an object.
fn object_key(rng: &mut Rng, prefix: &str) -> String {
    const FILES: [&str; 6] = [
        "summary.csv",
        "part-0001.parquet",
        "notes.md",
        "export.json",
        "payroll.xlsx",
        "events.log.gz",
    ];
    format!(
        "{prefix}{}/{}/{}",
        2024 + rng.below(3),
        rng.range(1, 12),
        rng.word(&FILES)
    )
}

/// A session name from a user name (1-64 characters of `\w+=,.@-`).
fn session_name(s: &str) -> String {
    s.chars().take(60).collect()
}

impl Gen<'_> {
    /// A random user of a random account with users.
    fn any_user(&mut self) -> Option<UserRef> {
        let a = *self.rng.pick(&self.ix.with_users)?;
        random_user_of(self.w, &mut self.rng, a)
    }

    /// A random user satisfying `pred` (a few tries).
    fn user_where(&mut self, pred: impl Fn(&User) -> bool) -> Option<UserRef> {
        for _ in 0..40 {
            let u = self.any_user()?;
            if self.w.user(u).is_some_and(&pred) {
                return Some(u);
            }
        }
        None
    }

    /// A random user of account `a` satisfying `pred` (a few tries).
    fn user_of_where(&mut self, a: usize, pred: impl Fn(&User) -> bool) -> Option<UserRef> {
        for _ in 0..20 {
            let u = random_user_of(self.w, &mut self.rng, a)?;
            if self.w.user(u).is_some_and(&pred) {
                return Some(u);
            }
        }
        None
    }

    /// A random role of an archetype.
    fn role_of_kind(&mut self, k: RoleKind) -> Option<RoleRef> {
        let v = self.ix.roles_by_kind.get(kind_slot(k))?;
        self.rng.pick(v).copied()
    }

    /// MFA for a user's scenario when the template wants things to work.
    fn helpful_mfa(&mut self, u: UserRef, role: Option<RoleRef>) -> bool {
        let enforced = self.w.user(u).is_some_and(|x| x.mfa_enforced);
        let trust = role
            .and_then(|r| self.w.role(r))
            .is_some_and(|r| r.trust.mfa);
        ((enforced || trust) && self.rng.percent(90)) || self.rng.percent(5)
    }

    /// An assume step, passing the role's external id unless `drop_ext`.
    fn assume(&mut self, role: RoleRef, session: String, drop_ext: bool) -> PStep {
        let ext = if drop_ext {
            None
        } else {
            self.w.role(role).and_then(|r| r.trust.external_id.clone())
        };
        PStep::Assume { role, session, ext }
    }

    /// The read a role is made for (its inline grant, else its own reports).
    fn role_read(&mut self, r: RoleRef, outside: bool) -> Option<PStep> {
        let role = self.w.role(r)?;
        let (b, prefix) = role.read.unwrap_or((REPORTS, "reports/"));
        let op = if self.rng.percent(85) {
            S3Op::Get
        } else {
            S3Op::List
        };
        let key = if op == S3Op::List && !outside {
            None
        } else if outside {
            let p = *self.rng.pick(&["private/", "confidential/", "archive/"])?;
            Some(object_key(&mut self.rng, p))
        } else {
            Some(object_key(&mut self.rng, prefix))
        };
        let op = if key.is_some() { S3Op::Get } else { op };
        Some(PStep::Act {
            req: Req::S3 {
                op,
                bucket: BucketRef(r.0, b),
                key,
            },
            ctx: Ctx::default(),
        })
    }

    /// A user and one of the roles it is granted.
    fn granted_pair(&mut self) -> Option<(UserRef, RoleRef)> {
        let u = *self.rng.pick(&self.ix.users_with_grants)?;
        let r = *self.rng.pick(&self.w.user(u)?.assume)?;
        Some((u, r))
    }

    /// Plans a scenario from a template (None when the world lacks the parts).
    fn plan(&mut self, t: Template) -> Option<Plan> {
        let w = self.w;
        match t {
            Template::AssumeRead | Template::OutsidePrefix => {
                let (u, r) = self.granted_pair()?;
                let outside = matches!(t, Template::OutsidePrefix);
                let mfa = self.helpful_mfa(u, Some(r));
                let mut steps = vec![self.assume(r, session_name(&w.user(u)?.name), false)];
                let role = w.role(r)?;
                if role.kind == RoleKind::Jump {
                    if let Some(c) = self
                        .ix
                        .chains_by_jump
                        .get(&r)
                        .and_then(|v| self.rng.pick(v).copied())
                    {
                        steps.push(self.assume(c, "hop2".into(), false));
                        steps.push(self.role_read(c, outside)?);
                    }
                } else if role.kind != RoleKind::Service {
                    steps.push(self.role_read(r, outside)?);
                    if !outside && self.rng.percent(25) {
                        steps.push(PStep::Act {
                            req: Req::S3 {
                                op: S3Op::List,
                                bucket: BucketRef(r.0, role.read.map_or(REPORTS, |x| x.0)),
                                key: None,
                            },
                            ctx: Ctx::default(),
                        });
                    }
                }
                Some(Plan {
                    label: if outside {
                        "outside-granted-prefix"
                    } else {
                        "assume-then-read"
                    },
                    what: format!("{} via {}", w.user_arn(u)?, role.name),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps,
                })
            }
            Template::Chain | Template::ChainUntrusted => {
                let j = *self.rng.pick(&self.ix.chain_starts)?;
                let u = *self.rng.pick(self.ix.users_by_role.get(&j)?)?;
                let c = if matches!(t, Template::Chain) {
                    *self.rng.pick(self.ix.chains_by_jump.get(&j)?)?
                } else {
                    self.role_of_kind(RoleKind::Chain)?
                };
                let mfa = self.helpful_mfa(u, Some(j));
                let steps = vec![
                    self.assume(j, session_name(&w.user(u)?.name), false),
                    self.assume(c, "hop2".into(), false),
                    self.role_read(c, false)?,
                ];
                Some(Plan {
                    label: if matches!(t, Template::Chain) {
                        "role-chain"
                    } else {
                        "role-chain-untrusted-hop"
                    },
                    what: format!(
                        "{} -> {} -> {}",
                        w.user(u)?.name,
                        w.role(j)?.name,
                        w.role(c)?.name
                    ),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps,
                })
            }
            Template::DataAccess | Template::BadIp => {
                let u = self.user_where(|x| x.developers)?;
                let bad = matches!(t, Template::BadIp);
                let op = match self.rng.below(10) {
                    0..5 => S3Op::Put,
                    5..8 => S3Op::Get,
                    _ => S3Op::List,
                };
                let op = if bad && op != S3Op::List {
                    S3Op::Put
                } else {
                    op
                };
                let key = (op != S3Op::List).then(|| object_key(&mut self.rng, "data/"));
                let mfa = self.helpful_mfa(u, None);
                Some(Plan {
                    label: if bad {
                        "data-from-outside-ip"
                    } else {
                        "data-prefix"
                    },
                    what: format!("{} {}", w.user_arn(u)?, op.action()),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps: vec![PStep::Act {
                        req: Req::S3 {
                            op,
                            bucket: BucketRef(u.0, DATA),
                            key,
                        },
                        ctx: Ctx {
                            bad_ip: bad,
                            ..Ctx::default()
                        },
                    }],
                })
            }
            Template::TeamAccess | Template::WrongTeam => {
                let u = self.user_where(|x| x.analysts && x.team.is_some())?;
                let user = w.user(u)?;
                let own = user.team?;
                let wrong = matches!(t, Template::WrongTeam);
                let team = if wrong {
                    let mut other = self.rng.word(&TEAMS);
                    if other == own {
                        other = "shared";
                    }
                    other
                } else {
                    own
                };
                let (op, key) = if !wrong && self.rng.percent(20) {
                    (S3Op::List, None)
                } else {
                    let op = if wrong || self.rng.percent(50) {
                        S3Op::Put
                    } else {
                        S3Op::Get
                    };
                    (
                        op,
                        Some(object_key(&mut self.rng, &format!("teams/{team}/"))),
                    )
                };
                let mfa = self.helpful_mfa(u, None);
                Some(Plan {
                    label: if wrong {
                        "other-team-prefix"
                    } else {
                        "own-team-prefix"
                    },
                    what: format!("{} team={own} {} teams/{team}", w.user_arn(u)?, op.action()),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps: vec![PStep::Act {
                        req: Req::S3 {
                            op,
                            bucket: BucketRef(u.0, TEAMS_BUCKET),
                            key,
                        },
                        ctx: Ctx::default(),
                    }],
                })
            }
            Template::GetRole | Template::BoundaryIam => {
                let boundary = matches!(t, Template::BoundaryIam);
                let u = self.user_where(|x| x.readonly && x.boundary == boundary)?;
                let nr = w.account(u.0)?.roles.len();
                if nr == 0 {
                    return None;
                }
                let r = RoleRef(u.0, self.rng.below(nr));
                let mfa = self.helpful_mfa(u, None);
                Some(Plan {
                    label: if boundary {
                        "iam-read-outside-boundary"
                    } else {
                        "iam-read"
                    },
                    what: format!("{} iam:GetRole {}", w.user_arn(u)?, w.role(r)?.name),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps: vec![PStep::Act {
                        req: Req::GetRole(r),
                        ctx: Ctx::default(),
                    }],
                })
            }
            Template::Ec2 => {
                if self.rng.percent(70) {
                    let u = self.user_where(|x| x.developers || x.direct_ec2)?;
                    let mfa = self.helpful_mfa(u, None);
                    Some(Plan {
                        label: "ec2-describe",
                        what: w.user_arn(u)?,
                        principal: w.user_arn(u)?,
                        caller: Caller::User(u),
                        mfa,
                        steps: vec![PStep::Act {
                            req: Req::Ec2Describe,
                            ctx: Ctx::default(),
                        }],
                    })
                } else {
                    let r = self.role_of_kind(RoleKind::Service)?;
                    Some(Plan {
                        label: "ec2-describe-service-role-session",
                        what: w.role_arn(r)?,
                        principal: w.role_arn(r)?,
                        caller: Caller::Session(r),
                        mfa: false,
                        steps: vec![PStep::Act {
                            req: Req::Ec2Describe,
                            ctx: Ctx::default(),
                        }],
                    })
                }
            }
            Template::CrossRead | Template::CrossNotGranted => {
                let granted = matches!(t, Template::CrossRead);
                let u = self.user_where(User::s3_read)?;
                let bucket = if granted {
                    *self.rng.pick(self.ix.reports_for.get(u.0)?)?
                } else {
                    let a = other_account(&mut self.rng, w.accounts.len(), u.0)?;
                    BucketRef(a, REPORTS)
                };
                let key = object_key(&mut self.rng, "reports/");
                let mfa = self.helpful_mfa(u, None);
                Some(Plan {
                    label: if granted {
                        "cross-account-bucket-read"
                    } else {
                        "cross-account-bucket-not-granted"
                    },
                    what: format!("{} reads {}", w.user_arn(u)?, w.bucket(bucket)?.name),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps: vec![PStep::Act {
                        req: Req::S3 {
                            op: S3Op::Get,
                            bucket,
                            key: Some(key),
                        },
                        ctx: Ctx::default(),
                    }],
                })
            }
            Template::PartnerExport => {
                let r = *self.rng.pick(&self.ix.export_roles)?;
                let bucket = *self.rng.pick(self.ix.exports_for.get(&r)?)?;
                let role = w.role(r)?;
                let principal = if self.rng.percent(50) {
                    w.role_arn(r)?
                } else {
                    format!(
                        "arn:aws:sts::{}:assumed-role/{}/etl-{}",
                        w.account(r.0)?.id,
                        role.name,
                        self.rng.below(100)
                    )
                };
                let key = object_key(&mut self.rng, "exports/");
                Some(Plan {
                    label: "partner-role-reads-exports",
                    what: format!("{} reads {}", principal, w.bucket(bucket)?.name),
                    principal,
                    caller: Caller::Session(r),
                    mfa: false,
                    steps: vec![PStep::Act {
                        req: Req::S3 {
                            op: S3Op::Get,
                            bucket,
                            key: Some(key),
                        },
                        ctx: Ctx::default(),
                    }],
                })
            }
            Template::AdminDelete | Template::ProtectedDelete => {
                let u = if matches!(t, Template::ProtectedDelete) {
                    let a = *self.rng.pick(&self.ix.protected)?;
                    self.user_of_where(a, |x| x.storage_admin)
                        .or_else(|| random_user_of(w, &mut self.rng, a))?
                } else {
                    self.user_where(|x| x.storage_admin)?
                };
                let nb = w.account(u.0)?.buckets.len();
                let bucket = BucketRef(u.0, self.rng.below(nb));
                let (op, key) = if matches!(t, Template::ProtectedDelete) || self.rng.percent(50) {
                    (S3Op::DeleteBucket, None)
                } else {
                    (S3Op::Delete, Some(object_key(&mut self.rng, "tmp/")))
                };
                let mfa = self.helpful_mfa(u, None);
                Some(Plan {
                    label: "storage-admin-delete",
                    what: format!(
                        "{} {} {}",
                        w.user_arn(u)?,
                        op.action(),
                        w.bucket(bucket)?.name
                    ),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps: vec![PStep::Act {
                        req: Req::S3 { op, bucket, key },
                        ctx: Ctx::default(),
                    }],
                })
            }
            Template::NoIdentity => {
                let r = if self.rng.percent(70) {
                    self.role_of_kind(RoleKind::Reader)?
                } else {
                    self.role_of_kind(RoleKind::Jump)?
                };
                let role = w.role(r)?;
                let a = *self.rng.pick(&role.trust.accounts)?;
                let u = random_user_of(w, &mut self.rng, a)?;
                let mfa = self.helpful_mfa(u, Some(r));
                let steps = vec![
                    self.assume(r, session_name(&w.user(u)?.name), false),
                    self.role_read(r, false)?,
                ];
                Some(Plan {
                    label: "trusted-account-user-without-grant",
                    what: format!("{} -> {}", w.user_arn(u)?, w.role_arn(r)?),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps,
                })
            }
            Template::Untrusted => {
                let u = self.user_where(|x| !x.assume.is_empty() || !x.assume_wild.is_empty())?;
                let user = w.user(u)?;
                let a = match self.rng.pick(&user.assume_wild) {
                    Some(a) if self.rng.percent(60) => *a,
                    _ => self.rng.pick(&user.assume)?.0,
                };
                let nr = w.account(a)?.roles.len();
                let r = RoleRef(a, self.rng.below(nr));
                let mfa = self.helpful_mfa(u, Some(r));
                let mut steps = vec![self.assume(r, session_name(&user.name), false)];
                if w.role(r)?.kind != RoleKind::Jump {
                    steps.push(self.role_read(r, false)?);
                }
                Some(Plan {
                    label: "role-may-not-trust-caller",
                    what: format!("{} -> {}", w.user_arn(u)?, w.role_arn(r)?),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps,
                })
            }
            Template::RegionLock => {
                let a = *self.rng.pick(&self.ix.region_locked)?;
                let u = random_user_of(w, &mut self.rng, a)?;
                let mfa = self.helpful_mfa(u, None);
                let ctx = Ctx {
                    bad_region: true,
                    ..Ctx::default()
                };
                let req = if self.rng.percent(50) {
                    Req::Ec2Describe
                } else {
                    Req::S3 {
                        op: S3Op::Get,
                        bucket: BucketRef(a, DATA),
                        key: Some(object_key(&mut self.rng, "data/")),
                    }
                };
                Some(Plan {
                    label: "scp-region-lock",
                    what: format!("{} {} in {BAD_REGION}", w.user_arn(u)?, req.action()),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps: vec![PStep::Act { req, ctx }],
                })
            }
            Template::NoMfa => {
                let u = self.user_where(|x| x.mfa_enforced)?;
                let user = w.user(u)?;
                let step = if let Some(r) = self.rng.pick(&user.assume).copied() {
                    self.assume(r, session_name(&user.name), false)
                } else {
                    PStep::Act {
                        req: Req::S3 {
                            op: S3Op::Get,
                            bucket: BucketRef(u.0, REPORTS),
                            key: Some(object_key(&mut self.rng, "reports/")),
                        },
                        ctx: Ctx::default(),
                    }
                };
                Some(Plan {
                    label: "mfa-enforced-user-without-mfa",
                    what: w.user_arn(u)?,
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa: false,
                    steps: vec![step],
                })
            }
            Template::TrustCondition => {
                let r = *self.rng.pick(&self.ix.conditional_roles)?;
                let u = *self.rng.pick(self.ix.users_by_role.get(&r)?)?;
                let role = w.role(r)?;
                let enforced = w.user(u)?.mfa_enforced;
                // Without the external id (or a wrong one), or without MFA.
                let (mfa, steps) = if role.trust.external_id.is_some() {
                    let step = if self.rng.percent(50) {
                        self.assume(r, session_name(&w.user(u)?.name), true)
                    } else {
                        PStep::Assume {
                            role: r,
                            session: session_name(&w.user(u)?.name),
                            ext: Some(format!("ext-{:012x}", self.rng.next_u64() >> 16)),
                        }
                    };
                    (enforced, vec![step])
                } else {
                    (
                        false,
                        vec![self.assume(r, session_name(&w.user(u)?.name), false)],
                    )
                };
                let mut steps = steps;
                steps.push(self.role_read(r, false)?);
                Some(Plan {
                    label: "trust-condition-not-met",
                    what: format!("{} -> {}", w.user_arn(u)?, w.role_arn(r)?),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps,
                })
            }
            Template::Confidential => {
                let b = *self.rng.pick(&self.ix.confidential)?;
                let u = self
                    .user_of_where(b.0, |x| x.s3_read() || x.storage_admin)
                    .or_else(|| random_user_of(w, &mut self.rng, b.0))?;
                let key = object_key(&mut self.rng, "confidential/");
                Some(Plan {
                    label: "confidential-without-mfa",
                    what: format!("{} reads {}", w.user_arn(u)?, w.bucket(b)?.name),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa: false,
                    steps: vec![PStep::Act {
                        req: Req::S3 {
                            op: S3Op::Get,
                            bucket: b,
                            key: Some(key),
                        },
                        ctx: Ctx::default(),
                    }],
                })
            }
            Template::Insecure => {
                let u = self.user_where(User::s3_read)?;
                let mfa = self.helpful_mfa(u, None);
                let b = BucketRef(u.0, REPORTS);
                Some(Plan {
                    label: "without-tls",
                    what: format!("{} reads {}", w.user_arn(u)?, w.bucket(b)?.name),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps: vec![PStep::Act {
                        req: Req::S3 {
                            op: S3Op::Get,
                            bucket: b,
                            key: Some(object_key(&mut self.rng, "reports/")),
                        },
                        ctx: Ctx {
                            insecure: true,
                            ..Ctx::default()
                        },
                    }],
                })
            }
            Template::ServiceRole => {
                let r = self.role_of_kind(RoleKind::Service)?;
                let u = random_user_of(w, &mut self.rng, r.0).or_else(|| self.any_user())?;
                let mfa = self.helpful_mfa(u, None);
                Some(Plan {
                    label: "user-assumes-service-role",
                    what: format!("{} -> {}", w.user_arn(u)?, w.role_arn(r)?),
                    principal: w.user_arn(u)?,
                    caller: Caller::User(u),
                    mfa,
                    steps: vec![self.assume(r, session_name(&w.user(u)?.name), false)],
                })
            }
        }
    }

    /// The next scenario: aims at allow or deny with equal odds, tries a
    /// few templates, and returns the plan with the model's decision.
    fn next(&mut self) -> Option<(Plan, Decision)> {
        let want_allow = self.rng.percent(50);
        let set: &[(Template, usize)] = if want_allow { &ALLOW_SET } else { &DENY_SET };
        let total: usize = set.iter().map(|(_, n)| n).sum();
        let mut fallback = None;
        for _ in 0..40 {
            let mut x = self.rng.below(total);
            let mut chosen = Template::Ec2;
            for (t, n) in set {
                if x < *n {
                    chosen = *t;
                    break;
                }
                x -= n;
            }
            let Some(plan) = self.plan(chosen) else {
                continue;
            };
            let Some(d) = self.w.evaluate(&plan) else {
                continue;
            };
            if (d == Decision::Allow) == want_allow {
                return Some((plan, d));
            }
            if fallback.is_none() {
                fallback = Some((plan, d));
            }
        }
        fallback
    }
}

/// The step as scenario JSON.
fn step_json(w: &World, s: &PStep) -> Option<Value> {
    Some(match s {
        PStep::Assume { role, session, ext } => {
            let mut m = Map::new();
            m.insert("assume_role".into(), w.role_arn(*role)?.into());
            m.insert("session_name".into(), session.clone().into());
            if let Some(e) = ext {
                m.insert("external_id".into(), e.clone().into());
            }
            Value::Object(m)
        }
        PStep::Act { req, ctx } => {
            let resource = match req {
                Req::S3 { bucket, key, .. } => s3_arn(&w.bucket(*bucket)?.name, key.as_deref()),
                Req::GetRole(r) => w.role_arn(*r)?,
                Req::Ec2Describe => "*".to_string(),
            };
            let mut m = Map::new();
            m.insert("action".into(), req.action().into());
            m.insert("resource".into(), resource.into());
            let mut c = Map::new();
            if ctx.bad_ip {
                c.insert("aws:SourceIp".into(), BAD_IP.into());
            }
            if ctx.bad_region {
                c.insert("aws:RequestedRegion".into(), BAD_REGION.into());
            }
            if ctx.insecure {
                c.insert("aws:SecureTransport".into(), false.into());
            }
            if !c.is_empty() {
                m.insert("context".into(), Value::Object(c));
            }
            Value::Object(m)
        }
    })
}

/// The scenario as JSON.
fn scenario_json(w: &World, n: usize, p: &Plan, d: Decision) -> Option<Value> {
    let steps: Option<Vec<Value>> = p.steps.iter().map(|s| step_json(w, s)).collect();
    let mut m = Map::new();
    m.insert(
        "name".into(),
        format!("{n:07} {}: {}", p.label, p.what).into(),
    );
    m.insert("principal".into(), p.principal.clone().into());
    if p.mfa {
        m.insert(
            "context".into(),
            json!({"aws:MultiFactorAuthPresent": true}),
        );
    }
    m.insert("steps".into(), Value::Array(steps?));
    m.insert("expect".into(), d.as_str().into());
    Some(Value::Object(m))
}

/// Counts of what was written, for the summary.
#[derive(Default)]
struct Tally {
    /// Scenarios per label and decision.
    by_label: BTreeMap<(&'static str, &'static str), usize>,
    /// Scenarios per decision.
    by_decision: BTreeMap<&'static str, usize>,
    /// Scenarios per step count.
    by_steps: BTreeMap<usize, usize>,
}

/// One open scenario file.
struct ScenarioFile {
    /// Its path.
    path: PathBuf,
    /// Its writer.
    out: BufWriter<File>,
    /// How many scenarios it takes.
    limit: usize,
}

/// Writes every scenario file from one stream (a smaller file is a prefix
/// of a larger one); returns the tally of the largest.
fn write_scenarios(w: &World, cfg: &Config) -> Result<Tally, String> {
    let ioerr = |p: &PathBuf, e: std::io::Error| format!("{}: {e}", p.display());
    let mut files = Vec::new();
    for &n in &cfg.scenarios {
        let path = cfg.out.join(format!("scenarios-{n}.json"));
        let mut out = BufWriter::new(File::create(&path).map_err(|e| ioerr(&path, e))?);
        let head = json!({
            "description": format!(
                "generated by iamsim-generate --seed {} --accounts {} --principals {}: {n} scenarios, expectations from the generator's model",
                cfg.seed, cfg.accounts, cfg.principals
            ),
            "world": "world.json",
            "context": {
                "aws:SourceIp": GOOD_IP,
                "aws:RequestedRegion": GOOD_REGION,
                "aws:SecureTransport": true
            }
        });
        let head = serde_json::to_string(&head).map_err(|e| e.to_string())?;
        let head = head.strip_suffix('}').unwrap_or(&head);
        out.write_all(head.as_bytes())
            .and_then(|()| out.write_all(b",\"scenarios\":["))
            .map_err(|e| ioerr(&path, e))?;
        files.push(ScenarioFile {
            path,
            out,
            limit: n,
        });
    }
    let max = cfg.scenarios.iter().copied().max().unwrap_or(0);
    let mut g = Gen {
        w,
        ix: Index::new(w),
        rng: Rng(cfg.seed ^ 0x5CE7_A210_0000_0001),
    };
    let mut tally = Tally::default();
    let mut i = 0;
    let mut misses = 0usize;
    while i < max {
        let Some((plan, d)) = g.next() else {
            misses += 1;
            if misses > 10_000 {
                return Err(
                    "the world is too small to draw scenarios from (add principals or accounts)"
                        .into(),
                );
            }
            continue;
        };
        let Some(v) = scenario_json(w, i, &plan, d) else {
            continue;
        };
        let text = serde_json::to_string(&v).map_err(|e| e.to_string())?;
        for f in &mut files {
            if i < f.limit {
                let sep: &[u8] = if i == 0 { b"\n" } else { b",\n" };
                f.out
                    .write_all(sep)
                    .and_then(|()| f.out.write_all(text.as_bytes()))
                    .map_err(|e| ioerr(&f.path, e))?;
            }
        }
        *tally.by_label.entry((plan.label, d.as_str())).or_default() += 1;
        *tally.by_decision.entry(d.as_str()).or_default() += 1;
        *tally.by_steps.entry(plan.steps.len()).or_default() += 1;
        i += 1;
    }
    for f in &mut files {
        f.out
            .write_all(b"\n]}\n")
            .and_then(|()| f.out.flush())
            .map_err(|e| ioerr(&f.path, e))?;
    }
    Ok(tally)
}

/// Generates everything and prints a summary to stderr.
fn run(cfg: &Config) -> Result<(), String> {
    let start = Instant::now();
    std::fs::create_dir_all(&cfg.out).map_err(|e| format!("{}: {e}", cfg.out.display()))?;
    if cfg.what_can {
        for (name, world) in [
            ("what-can-fanout.json", what_can::fanout(cfg.seed)),
            ("what-can-chain.json", what_can::chain(cfg.seed)),
        ] {
            let path = cfg.out.join(name);
            let text = serde_json::to_string(&world).map_err(|e| e.to_string())?;
            std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("wrote {name} ({:.2?})", start.elapsed());
        }
        return Ok(());
    }
    let mut rng = Rng(cfg.seed);
    let w = build_world(cfg, &mut rng);
    write_world(&w, &cfg.out.join("world.json"), None)?;
    for m in &cfg.mutations {
        let name = format!("world-{}.json", m.name());
        write_world(&w, &cfg.out.join(&name), Some(*m))?;
        eprintln!("wrote {name}: world.json with the {} mutation", m.name());
    }
    let world_time = start.elapsed();
    let users: usize = w.accounts.iter().map(|a| a.users.len()).sum();
    let roles: usize = w.accounts.iter().map(|a| a.roles.len()).sum();
    let buckets: usize = w.accounts.iter().map(|a| a.buckets.len()).sum();
    let policies: usize = w
        .accounts
        .iter()
        .flat_map(|a| &a.buckets)
        .filter(|b| b.policy)
        .count();
    let grants: usize = w
        .accounts
        .iter()
        .flat_map(|a| &a.users)
        .map(|u| u.assume.len())
        .sum();
    let region = w
        .accounts
        .iter()
        .filter(|a| a.effective.region_lock)
        .count();
    let protect = w
        .accounts
        .iter()
        .filter(|a| a.effective.protect_buckets)
        .count();
    eprintln!(
        "world: {} accounts, {} OUs, {users} users, {roles} roles, {buckets} buckets ({policies} with a policy), {grants} assume grants; {region} accounts region-locked, {protect} under bucket protection ({:.2?})",
        w.accounts.len(),
        w.ous.len(),
        world_time
    );
    let tally = write_scenarios(&w, cfg)?;
    eprintln!("scenarios (largest file): {:?}", tally.by_decision);
    eprintln!("steps per scenario: {:?}", tally.by_steps);
    for ((label, d), n) in &tally.by_label {
        eprintln!("  {n:>9}  {d:<14} {label}");
    }
    eprintln!("total {:.2?}", start.elapsed());
    Ok(())
}

/// Entry point.
fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)).and_then(|cfg| run(&cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("iamsim-generate: {e}");
            ExitCode::from(2)
        }
    }
}
