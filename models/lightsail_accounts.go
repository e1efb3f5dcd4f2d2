package models

import "gorm.io/gorm"

// ForLightsailAccount is the store as the guard of one account sees it: the Lightsail
// queries (checks, history, actions) narrowed to the account, and the rows written
// stamped with it. Every other query is the store's own.
func (s *Store) ForLightsailAccount(account string) *Store {
	c := *s
	c.lightsailAccount = &account
	return &c
}

// inLightsailAccount narrows a Lightsail query to the store's account, when it has one.
func (s *Store) inLightsailAccount(db *gorm.DB) *gorm.DB {
	if s.lightsailAccount == nil {
		return db
	}
	return db.Where("account_id = ?", *s.lightsailAccount)
}

// lightsailAccountID is the account the store's Lightsail rows are written for.
func (s *Store) lightsailAccountID() string {
	if s.lightsailAccount == nil {
		return ""
	}
	return *s.lightsailAccount
}
