import {
  newAction, resolveAction, reviewIdentityCheck, submitIdentityCheck,
  type ActionReason, type ActionType, type EnforcementAction,
} from './domain/enforcement.js';
import type { Actor } from './domain/history.js';
import {
  applyForCyber, applyForEfs, decideCyber, decideEfs,
  type CyberDecision, type CyberTier, type EfsDecision, type EfsFeature,
} from './domain/programs.js';
import { withStanding, type Profile } from './domain/profile.js';
import type { Alongside } from './store/profiles.js';
import { invalidRequest, notFound, profileNotFound } from './errors.js';
import { newId } from './ids.js';
import type { Store } from './store/index.js';

/**
 * Changes to a profile's standing in programs and enforcement: the provider's decisions (operator API
 * and review console) and the end customer's applications (portal). One place, so every surface
 * applies the same rules and records the same history. Platform keys never reach these.
 */
export class Standing {
  /** `now`: the time of an organization's rules (Clock.now) */
  constructor(private readonly store: Store, private readonly now: (organizationId: string) => number) {}

  /** Runs one read-modify-write of a live profile; `change` may throw an ApiError to abort with nothing written. */
  private async change(
    organizationId: string,
    profileId: string,
    actor: Actor,
    change: (p: Profile, now: number) => Profile,
    alongside?: (current: Profile, next: Profile, now: number) => Alongside,
  ) {
    const now = this.now(organizationId);
    const profile = await this.store.profiles.update(
      organizationId, profileId, actor, (current) => change(current, now), alongside && ((current, next) => alongside(current, next, now)),
    );
    if (!profile) throw profileNotFound(profileId);
    return profile;
  }

  decideCyber(organizationId: string, profileId: string, actor: Actor, decision: CyberDecision): Promise<Profile> {
    return this.change(organizationId, profileId, actor, (p, now) => {
      const cyber = decideCyber(p.cyber, decision);
      if (typeof cyber === 'string') throw invalidRequest(cyber);
      return withStanding(p, { cyber }, now);
    });
  }

  decideEfs(organizationId: string, profileId: string, actor: Actor, decision: EfsDecision): Promise<Profile> {
    return this.change(organizationId, profileId, actor, (p, now) => withStanding(p, { efs: decideEfs(p.efs, decision) }, now));
  }

  async openAction(
    organizationId: string,
    profileId: string,
    actor: Actor,
    input: { type: ActionType; reason: ActionReason; clearable: boolean; expiresAt: number | null },
  ): Promise<{ profile: Profile; action: EnforcementAction }> {
    let action!: EnforcementAction;
    const profile = await this.change(organizationId, profileId, actor, (p, now) => {
      if (input.expiresAt !== null && input.expiresAt <= now) throw invalidRequest('expires_at: must be in the future.');
      action = newAction({ id: newId('enac', now), ...input }, now);
      return withStanding(p, { actions: [...p.actions, action] }, now);
    });
    return { profile, action };
  }

  resolveAction(organizationId: string, profileId: string, actor: Actor, actionId: string): Promise<Profile> {
    return this.change(organizationId, profileId, actor, (p, now) => {
      const actions = resolveAction(p.actions, actionId, now);
      if (!actions) throw notFound(`No open enforcement action ${JSON.stringify(actionId)} on this profile.`);
      return withStanding(p, { actions }, now);
    });
  }

  /**
   * The reviewer's decision on the identity check in review on one restriction, with an optional note:
   * history records it (`identity_check.passed` before the resolution, or `identity_check.failed`, each
   * with the note) and the check's evidence is marked decided, in the same transaction.
   */
  reviewIdentityCheck(
    organizationId: string, profileId: string, actor: Actor, actionId: string, passed: boolean, note: string | null = null,
  ): Promise<Profile> {
    return this.change(
      organizationId, profileId, actor,
      (p, now) => {
        if (!p.actions.some((a) => a.id === actionId)) throw notFound(`No enforcement action ${JSON.stringify(actionId)} on this profile.`);
        const actions = reviewIdentityCheck(p.actions, actionId, passed);
        if (!actions) throw invalidRequest(`Enforcement action ${JSON.stringify(actionId)} has no identity check in review.`);
        return withStanding(p, { actions }, now);
      },
      (_current, _next, now) => ({
        statements: this.store.identityChecks.decisionStatements(organizationId, profileId, actionId, passed ? 'passed' : 'failed', now),
        history: (derived) =>
          derived.flatMap((entry) => {
            const about = (entry.detail as { id?: string }).id === actionId;
            if (passed && about && entry.event === 'enforcement.resolved') return [{ event: 'identity_check.passed', detail: { id: actionId, note } }, entry];
            if (!passed && about && entry.event === 'identity_check.failed') return [{ ...entry, detail: { ...entry.detail, note } }];
            return [entry];
          }),
      }),
    );
  }

  /** Whether the end customer lets the platform bill them: the operator's record of it, or the customer's own (portal). */
  setBillingAuthorization(organizationId: string, profileId: string, actor: Actor, authorized: boolean): Promise<Profile> {
    return this.change(organizationId, profileId, actor, (p, now) => withStanding(p, { billingAuthorized: authorized }, now));
  }

  // ------------------------------------------------------------------ the end customer, through a link

  applyForCyber(organizationId: string, profileId: string, actor: Actor, tiers: CyberTier[]): Promise<Profile> {
    return this.change(organizationId, profileId, actor, (p, now) => withStanding(p, { cyber: applyForCyber(p.cyber, tiers, now) }, now));
  }

  applyForEfs(organizationId: string, profileId: string, actor: Actor, features: EfsFeature[]): Promise<Profile> {
    return this.change(organizationId, profileId, actor, (p, now) => withStanding(p, { efs: applyForEfs(p.efs, features, now) }, now));
  }

  /**
   * The end customer submits the identity check with its evidence, sealed by the caller (the portal, with
   * the master key): every restriction the check can clear goes to review, and the evidence is kept with
   * each of them, in the same transaction.
   */
  submitIdentityCheck(organizationId: string, profileId: string, actor: Actor, sealedEvidence: string): Promise<Profile> {
    return this.change(
      organizationId, profileId, actor,
      (p, now) => withStanding(p, { actions: submitIdentityCheck(p.actions, now) }, now),
      (current, next, now) => {
        const submitted = next.actions.filter((a) => a.checkSubmitted && !current.actions.find((c) => c.id === a.id)?.checkSubmitted);
        return { statements: this.store.identityChecks.submissionStatements(organizationId, profileId, submitted.map((a) => a.id), sealedEvidence, now) };
      },
    );
  }
}
