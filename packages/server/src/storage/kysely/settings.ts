import type { Kysely } from 'kysely';
import type { SettingsStore } from '../../domain/ports/settings.js';
import type { Database } from './schema.js';

export class KyselySettingsStore implements SettingsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getSetting(name: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    return r?.value;
  }

  async initSetting(name: string, value: string): Promise<string> {
    await this.db
      .insertInto('settings')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.getSetting(name)) as string;
  }

  async deleteSetting(name: string): Promise<void> {
    await this.db.deleteFrom('settings').where('name', '=', name).execute();
  }
}
