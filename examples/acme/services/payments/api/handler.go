package api

// Handle accepts a payment.
func Handle() {}
