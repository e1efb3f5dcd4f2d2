package main

import (
	"errors"

	"costbot/config"
	"costbot/models"
)

// openSharedStore opens the store replicas share at DB_URL.
func openSharedStore(cfg *config.Config) (*models.Store, error) {
	return nil, errors.New("DB_URL: this build has no PostgreSQL store yet")
}
