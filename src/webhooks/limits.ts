/** How many webhook endpoints an organization may have; enabled and disabled both count (contract-2 §2.4). */
export const ENDPOINT_CAP = 32;
