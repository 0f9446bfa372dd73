import { SessionError, UsageError } from "../errors.js";
import type { Session } from "./session.js";

/** The longest room name (as a presence topic). */
export const MAX_ROOM_NAME = 256;

/**
 * Which sessions of one app are in which room: the other side of each
 * session's own `rooms` set. Both sides change together, here only, so that
 * a broadcast to a room reaches exactly the sessions that joined it.
 */
export class Rooms<S extends Session = Session> {
  private readonly members = new Map<string, Set<S>>();
  /** Sessions in rooms, a session counted once per room (kept as they change, for `srv.stats()`). */
  private joined = 0;

  constructor(private readonly app: string, private readonly maxPerSession: number) {}

  /** Puts `session` in `room`; refuses a bad or too long name, and a session already in `maxPerSession` rooms. */
  join(session: S, room: string): void {
    if (typeof room !== "string" || room === "") throw new UsageError(`${this.app}.join(room): the room must be a non-empty string, got ${JSON.stringify(room)}.`);
    // Named by pages often (a chat's room): a name is kept with each session and in its snapshot, and counts toward no budget.
    if (room.length > MAX_ROOM_NAME) {
      throw new UsageError(`${this.app}.join(room): a room name is at most ${MAX_ROOM_NAME} characters, got ${room.length} ("${room.slice(0, 40).replace(/[\uD800-\uDBFF]$/, "")}…"). Name rooms by an id, and check names that come from the page.`);
    }
    if (session.rooms.has(room)) return;
    if (session.rooms.size >= this.maxPerSession) {
      throw new SessionError(
        "ROOM_LIMIT",
        `${this.app}.join("${room}"): this session is already in ${this.maxPerSession} rooms, the limit. ` +
          `Leave a room first (this.leave(room)), or raise maxRoomsPerSession in createServer options.`,
      );
    }
    session.rooms.add(room);
    let set = this.members.get(room);
    if (!set) this.members.set(room, (set = new Set()));
    set.add(session);
    this.joined++;
  }

  /** Takes `session` out of `room`; leaving a room it is not in does nothing. */
  leave(session: S, room: string): void {
    if (!session.rooms.delete(room)) return;
    this.drop(session, room);
  }

  /** Takes `session` out of every room (its own set is the session's to clear). */
  leaveAll(session: S): void {
    for (const room of session.rooms) this.drop(session, room);
  }

  /** Rooms with at least one member. */
  get count(): number {
    return this.members.size;
  }

  /** Memberships: the sum of every room's members. */
  get memberships(): number {
    return this.joined;
  }

  /** Members by room name (a walk over the rooms: for `srv.stats({ rooms: true })`). */
  sizes(): Record<string, number> {
    // No prototype: a room may be named "__proto__".
    const sizes: Record<string, number> = Object.create(null);
    for (const [room, set] of this.members) sizes[room] = set.size;
    return sizes;
  }

  /** The sessions in `room`. */
  of(room: string): Iterable<S> {
    return this.members.get(room) ?? [];
  }

  private drop(session: S, room: string): void {
    const set = this.members.get(room);
    if (set?.delete(session)) this.joined--;
    if (set?.size === 0) this.members.delete(room);
  }
}
