import type { Db } from './db.js'

/** Ends every session of a user (disable, role change, password change); call inside the change's transaction. */
export async function endUserSessions(trx: Db, userId: number): Promise<void> {
  await trx.deleteFrom('sessions').where('user_id', '=', userId).execute()
}
