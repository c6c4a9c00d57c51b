/**
 * Trust programs of a profile (contract-2 §1.2): the Cyber Verification Program and Enterprise Frontier
 * Safeguards. The provider (operator) decides them; the end customer applies through a link. The GA
 * `programs` view and the beta `trust_grants` are both renderings of this one state (decisions §23).
 */
export const PROGRAM_STATUSES = ['active', 'pending', 'rejected'] as const;
export type ProgramStatus = (typeof PROGRAM_STATUSES)[number];

export const CYBER_TIERS = ['a', 'b', 'c'] as const;
export type CyberTier = (typeof CYBER_TIERS)[number];
export const CYBER_TIER_NAMES: Record<CyberTier, string> = { a: 'Specialized Access', b: 'Red Team Access', c: 'Defense Access' };

export const REQUIREMENTS = ['data_retention', 'human_review'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];
export type RequirementFlags = Record<Requirement, boolean>;

export const EFS_FEATURES = ['data_retention_exemption', 'cmek', 'storage'] as const;
export type EfsFeature = (typeof EFS_FEATURES)[number];
export const EFS_FEATURE_NAMES: Record<EfsFeature, string> = {
  data_retention_exemption: 'Data retention exemption',
  cmek: 'Customer-managed encryption keys',
  storage: 'Customer-owned storage',
};

export interface CyberTierState {
  active: boolean;
  /** what requests must allow to get this tier's relaxed safeguards */
  requires: RequirementFlags;
  /** requirements the provider has waived for this profile on this tier */
  waived: RequirementFlags;
}

/** Why the provider rejected an application, in words the end customer reads in the portal. */
export const REJECTION_REASONS = ['incomplete_application', 'use_case_not_eligible', 'organization_not_verified', 'usage_policy'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];
export const REJECTION_REASON_WORDS: Record<RejectionReason, string> = {
  incomplete_application: 'The application did not include enough information to decide on it.',
  use_case_not_eligible: 'The use case described is not one the program covers.',
  organization_not_verified: 'The organization behind this profile could not be verified.',
  usage_policy: 'The application does not meet the usage policies of the program.',
};

export interface CyberProgram {
  status: ProgramStatus;
  tiers: Record<CyberTier, CyberTierState>;
  /** the program's access to earlier models: not a tier, but makes the status `active` on its own */
  earlierModels: boolean;
  /** an end customer's application awaiting review (tiers asked for), or null */
  application: { tiers: CyberTier[]; submittedAt: number } | null;
  /** why a rejected program was rejected, when the provider said (never on the wire; the portal shows it) */
  rejectionReason?: RejectionReason;
}

export interface EfsProgram {
  status: ProgramStatus;
  features: Record<EfsFeature, boolean>;
  application: { features: EfsFeature[]; submittedAt: number } | null;
  rejectionReason?: RejectionReason;
}

export const noRequirements = (): RequirementFlags => ({ data_retention: false, human_review: false });

export function inactiveTiers(): Record<CyberTier, CyberTierState> {
  const tier = (): CyberTierState => ({ active: false, requires: noRequirements(), waived: noRequirements() });
  return { a: tier(), b: tier(), c: tier() };
}

export const inactiveFeatures = (): Record<EfsFeature, boolean> => ({ data_retention_exemption: false, cmek: false, storage: false });

/**
 * Whether a cyber state is coherent (contract-2 §1.2): `active` exactly when a tier is active or the profile has
 * earlier-model access. Returns the problem, or null.
 */
export function cyberProblem(cyber: CyberProgram): string | null {
  const anyActive = CYBER_TIERS.some((tier) => cyber.tiers[tier].active) || cyber.earlierModels;
  if (cyber.status === 'active' && !anyActive) return 'an active cyber program needs at least one active tier or earlier-model access';
  if (cyber.status !== 'active' && anyActive) return `a ${cyber.status} cyber program cannot have active tiers or earlier-model access`;
  return null;
}

/** `requirements`: per field, true when some active tier requires it unwaived; null when no tier is active. */
export function cyberRequirements(cyber: CyberProgram): RequirementFlags | null {
  const active = CYBER_TIERS.filter((tier) => cyber.tiers[tier].active);
  if (active.length === 0) return null;
  const flags = noRequirements();
  for (const tier of active) {
    for (const requirement of REQUIREMENTS) {
      if (cyber.tiers[tier].requires[requirement] && !cyber.tiers[tier].waived[requirement]) flags[requirement] = true;
    }
  }
  return flags;
}

const tierStatus = (active: boolean) => ({ status: active ? ('active' as const) : ('inactive' as const) });

/**
 * The GA `programs` object. `full` (retrieve, create, update) reports everything; `list` is lossy as the
 * contract allows (contract-2 §1.3): cyber with `tiers: {}` and so `requirements: null`, and `efs` always null.
 */
export function renderPrograms(cyber: CyberProgram | null, efs: EfsProgram | null, view: 'full' | 'list') {
  return {
    cyber:
      cyber === null
        ? null
        : view === 'list'
          ? { status: cyber.status, tiers: {}, requirements: null }
          : {
              status: cyber.status,
              tiers: Object.fromEntries(CYBER_TIERS.map((tier) => [tier, tierStatus(cyber.tiers[tier].active)])),
              requirements: cyberRequirements(cyber),
            },
    efs:
      efs === null || view === 'list'
        ? null
        : { status: efs.status, features: Object.fromEntries(EFS_FEATURES.map((f) => [f, tierStatus(efs.features[f])])) },
  };
}

/** Beta `trust_grants` (decisions §20, §23): the cyber status, rejected included; EFS never appears. */
export function renderTrustGrants(cyber: CyberProgram | null): Record<string, { status: ProgramStatus }> {
  return cyber === null ? {} : { cyber: { status: cyber.status } };
}

/** `asked` joined to what is already in review, in the list's own order. */
const joined = <T extends string>(all: readonly T[], inReview: readonly T[] | undefined, asked: readonly T[]) =>
  all.filter((item) => asked.includes(item) || (inReview ?? []).includes(item));

/**
 * The end customer asks for cyber tiers: the program becomes pending unless it is already active. Tiers
 * already in review stay in review (applying for more adds to them); the application keeps the time it
 * was first submitted.
 */
export function applyForCyber(current: CyberProgram | null, tiers: CyberTier[], now: number): CyberProgram {
  const base = current ?? { status: 'pending' as const, tiers: inactiveTiers(), earlierModels: false, application: null };
  return {
    status: base.status === 'active' ? 'active' : 'pending',
    tiers: base.tiers,
    earlierModels: base.earlierModels,
    application: { tiers: joined(CYBER_TIERS, base.application?.tiers, tiers), submittedAt: base.application?.submittedAt ?? now },
  };
}

/** The end customer applies to EFS for some features (added to those already in review). */
export function applyForEfs(current: EfsProgram | null, features: EfsFeature[], now: number): EfsProgram {
  const base = current ?? { status: 'pending' as const, features: inactiveFeatures(), application: null };
  return {
    status: base.status === 'active' ? 'active' : 'pending',
    features: base.features,
    application: { features: joined(EFS_FEATURES, base.application?.features, features), submittedAt: base.application?.submittedAt ?? now },
  };
}

/** The provider's decision on a profile's cyber program (operator API and console). */
export interface CyberDecision {
  status: ProgramStatus;
  /** tiers to set; omitted tiers keep their state */
  tiers?: Partial<Record<CyberTier, Partial<CyberTierState>>>;
  earlierModels?: boolean;
  /** only with `rejected`: the reason the end customer is shown */
  reason?: RejectionReason;
}

/**
 * Applies a decision: sets status and tiers, closes any open application. A rejected or pending program
 * has no active tier. Returns the problem as a string when the result would be incoherent.
 */
export function decideCyber(current: CyberProgram | null, decision: CyberDecision): CyberProgram | string {
  const base = current ?? { status: decision.status, tiers: inactiveTiers(), earlierModels: false, application: null };
  const tiers = { ...base.tiers };
  for (const tier of CYBER_TIERS) {
    const patch = decision.tiers?.[tier];
    if (patch) {
      tiers[tier] = {
        active: patch.active ?? tiers[tier].active,
        requires: { ...tiers[tier].requires, ...patch.requires },
        waived: { ...tiers[tier].waived, ...patch.waived },
      };
    }
    // only an active program can hold active tiers: rejecting or re-opening review withdraws them
    if (decision.status !== 'active') tiers[tier] = { ...tiers[tier], active: false };
  }
  const next: CyberProgram = {
    status: decision.status,
    tiers,
    earlierModels: decision.status === 'active' ? (decision.earlierModels ?? base.earlierModels) : false,
    application: null,
  };
  if (decision.status === 'rejected' && decision.reason) next.rejectionReason = decision.reason;
  return cyberProblem(next) ?? next;
}

export interface EfsDecision {
  status: ProgramStatus;
  features?: Partial<Record<EfsFeature, boolean>>;
  reason?: RejectionReason;
}

/** Applies a decision on EFS; only an active program has active features. */
export function decideEfs(current: EfsProgram | null, decision: EfsDecision): EfsProgram {
  const features = { ...(current?.features ?? inactiveFeatures()), ...decision.features };
  if (decision.status !== 'active') for (const feature of EFS_FEATURES) features[feature] = false;
  const next: EfsProgram = { status: decision.status, features, application: null };
  if (decision.status === 'rejected' && decision.reason) next.rejectionReason = decision.reason;
  return next;
}
