package models

import "gorm.io/gorm"

// The Lightsail guard keeps each account's rows apart: every Lightsail read and write
// names the account it is for. The account "" is a deployment that watches one account
// (AWS_ACCOUNTS unset): its rows carry no account and its reads are not narrowed.

// inLightsailAccount narrows a Lightsail query to account's rows; "" leaves it as it is.
func inLightsailAccount(account string) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if account == "" {
			return db
		}
		return db.Where("account_id = ?", account)
	}
}
