package postgres

// Abandon stops a store as a killed process would (see abandon).
func Abandon(s *Store) { s.abandon() }
