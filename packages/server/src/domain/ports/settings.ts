/** Named values the server keeps once for all instances (e.g. who bootstrapped an empty database). */
export interface SettingsStore {
  getSetting(name: string): Promise<string | undefined>;
  /** Stores the value unless one exists; returns the value that is stored. */
  initSetting(name: string, value: string): Promise<string>;
  deleteSetting(name: string): Promise<void>;
}
