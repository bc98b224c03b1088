// Every line marked WRONG must be a compile error; no other line may be (test_typescript.py).
import {
  measurementProtocolBodies,
  trackAddPaymentInfo,
  trackNewsletterSignup,
  trackPurchase,
  trackSearch,
  trackViewCart,
  trackWriteReview,
} from "./ga4-events.js";

const items = [{ item_id: "SKU-1", price: 10 }];

trackPurchase({ currency: "EUR", value: 10, items }); // WRONG: transaction_id is required
trackPurchase({ currency: "EUR", value: "10", transaction_id: "T", items }); // WRONG: value is a number
trackPurchase({ currency: "EUR", value: 10, transaction_id: "T", items: [{ item_name: "no id" }] }); // WRONG: item_id is required
trackPurchase({ currency: "EUR", value: 10, transaction_id: "T", items: [{ item_id: "A", colour: "red" }] }); // WRONG: undeclared item parameter
trackPurchase({ currency: "EUR", value: 10, transaction_id: "T", items: "SKU-1" }); // WRONG: items is an array
trackPurchase(); // WRONG: purchase has required parameters
trackAddPaymentInfo({ currency: "EUR", value: 10, items, payment_type: "bank_transfer" }); // WRONG: not an allowed value
trackWriteReview({ rating: 6 }); // WRONG: rating is 1 to 5
trackWriteReview({ rating: 5, verified: "yes" }); // WRONG: verified is a boolean
trackWriteReview({ rating: 5, reviews_written: undefined }); // WRONG: optional means absent, not undefined (exactOptionalPropertyTypes)
trackViewCart({ experiment_variant: "b" }); // WRONG: view_cart is closed and has no parameters
trackNewsletterSignup({ form_id: "footer", origin: "home" }); // WRONG: undeclared parameter of a closed event
trackNewsletterSignup({ method: "sidebar" }); // WRONG: not an allowed value
trackSearch({ experiment_variant: "b" }); // WRONG: an open event still needs its required parameters
measurementProtocolBodies("1.2", [{ name: "purchase", params: { currency: "EUR" } }]); // WRONG: purchase's required parameters
measurementProtocolBodies("1.2", [{ name: "page_scrolled" }]); // WRONG: not an event of the plan
measurementProtocolBodies("1.2", [{ name: "write_review", params: { rating: 5, session_id: true } }]); // WRONG: session_id is a string or number

// Right, for contrast: these compile.
trackPurchase({ currency: "EUR", value: 10, transaction_id: "T", items });
trackSearch({ search_term: "x", anything: ["goes"] });
measurementProtocolBodies("1.2", [{ name: "view_cart", params: { engagement_time_msec: 5 } }]);
