package billing

// WaitVerify waits for VerifyCached's background runs.
func (s *Service) WaitVerify() { s.verified.Wait() }
