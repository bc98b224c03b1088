// Calls every function of the module generated from tests/instrumentation/plans.py (shop_plan),
// in a browser page; the page then records window.dataLayer (see test_typescript.py).
import {
  measurementProtocolBodies,
  trackAddPaymentInfo,
  trackNewsletterSignup,
  trackPurchase,
  trackSearch,
  trackViewCart,
  trackWriteReview,
  type MeasurementProtocolEvent,
} from "./ga4-events.js";

const items = [
  { item_id: "SKU-1", item_name: "Rain jacket", price: 89.5, quantity: 1, item_color: "blue" },
  { item_id: "SKU-2", quantity: 2 },
];

trackPurchase({ currency: "EUR", value: 120.5, transaction_id: "T-1001", items, coupon: "WINTER", shipping: 4.9, tax: 19.1 });
trackAddPaymentInfo({ currency: "EUR", value: 120.5, items, payment_type: "paypal" });
trackWriteReview({ rating: 4, reviews_written: 3, verified: true });
trackSearch({ search_term: "rain jacket", experiment_variant: "b" }); // an open event takes more
trackViewCart();
trackNewsletterSignup({ method: "footer" });
trackNewsletterSignup();

// Server-side: 30 events make two Measurement Protocol bodies (25 + 5).
const events: MeasurementProtocolEvent[] = [];
for (let n = 0; n < 30; n++) {
  events.push({ name: "write_review", params: { rating: 5, session_id: 1732950000, engagement_time_msec: 100 } });
}
events[29] = { name: "view_cart" };
const bodies = measurementProtocolBodies("123456.7654321", events, { consent: { ad_user_data: "DENIED" } });
(window as unknown as { measurementProtocol: unknown }).measurementProtocol = bodies;
