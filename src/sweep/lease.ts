// The run-directory lease moved to the hosting layer (every command that writes a run takes it): see
// ../hosting/lease.ts. Re-exported here for the sweep's modules and older imports.
export * from '../hosting/lease.ts';
