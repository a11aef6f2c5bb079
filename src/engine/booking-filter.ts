/**
 * The attendee flag triggers take `appointment_types`, `practitioners` and `businesses`, which
 * describe the attendee's booking (its class, or the individual appointment it belongs to), not the
 * attendee. The booking's ids come from the due index when it holds that class or appointment (no
 * request), else from one read of the booking (`GET /bookings/{id}`: classes and appointments
 * alike, through the connection's client, so in the key's budget), once per booking per poll, and
 * only for events of a workflow that set one of those options.
 */
import { bookingFiltersOf, filtersBookings, passesBookingFilters } from "../catalog/booking-filters.ts";
import type { TriggerEvent } from "../catalog/index.ts";
import { withLinkIds } from "../catalog/links.ts";
import { ClinikoNotFoundError } from "../cliniko/errors.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import type { Store } from "../store/index.ts";
import type { PollTarget } from "./poller.ts";

interface BookingIds {
  appointment_type_id: string | null;
  practitioner_id: string | null;
  business_id: string | null;
}

const idOf = (r: Record<string, unknown>, k: string) => (typeof r[k] === "string" ? (r[k] as string) : null);

/** One poll's booking reads (cached for the poll). */
export class BookingReads {
  readonly #cache = new Map<string, Promise<BookingIds | null>>();
  readonly #deps: { store: Store; client: ClinikoClient; connectionKey: string };
  constructor(deps: { store: Store; client: ClinikoClient; connectionKey: string }) {
    this.#deps = deps;
  }

  of(bookingId: string): Promise<BookingIds | null> {
    let hit = this.#cache.get(bookingId);
    if (!hit) {
      hit = this.#read(bookingId);
      this.#cache.set(bookingId, hit);
    }
    return hit;
  }

  async #read(id: string): Promise<BookingIds | null> {
    const indexed = await this.#deps.store.due.booking(this.#deps.connectionKey, id);
    if (indexed) return indexed;
    try {
      const r = withLinkIds(await this.#deps.client.resource("bookings").get(id)) as Record<string, unknown>;
      return {
        appointment_type_id: idOf(r, "appointment_type_id"),
        practitioner_id: idOf(r, "practitioner_id"),
        business_id: idOf(r, "business_id"),
      };
    } catch (err) {
      if (err instanceof ClinikoNotFoundError) return null; // gone: it passes no filter
      throw err;
    }
  }
}

/** The events of `t` whose booking passes its options (all of them when it sets none). */
export async function keepByBooking(
  t: PollTarget,
  events: TriggerEvent[],
  reads: BookingReads,
): Promise<TriggerEvent[]> {
  if (!t.trigger.filtersByBooking) return events;
  const filters = bookingFiltersOf(t.definition.trigger.options);
  if (!filtersBookings(filters)) return events;
  const kept: TriggerEvent[] = [];
  for (const e of events) {
    const bookingId = idOf(e.record as Record<string, unknown>, "booking_id");
    const ids = bookingId ? await reads.of(bookingId) : null;
    if (ids && passesBookingFilters(filters, ids)) kept.push(e);
  }
  return kept;
}
