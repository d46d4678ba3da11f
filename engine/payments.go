package engine

// Payments configures the payment link the customer gets after accepting
// a quote (payments.go and payment_turns.go).
type Payments struct{}
