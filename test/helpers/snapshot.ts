import type { Db } from '../../src/core/db/database.js'

/** Every row the foundation commands write, to prove a refused command changed nothing. */
export async function snapshot(db: Db): Promise<unknown> {
  return {
    firm: await db.selectFrom('firm_options').selectAll().execute(),
    clients: await db.selectFrom('clients').selectAll().orderBy('id').execute(),
    users: await db.selectFrom('client_users').selectAll().orderBy('id').execute(),
    visibility: await db.selectFrom('user_visibility').selectAll().execute(),
    resets: await db.selectFrom('password_resets').selectAll().orderBy('id').execute(),
    events: await db.selectFrom('events').selectAll().orderBy('id').execute(),
  }
}
