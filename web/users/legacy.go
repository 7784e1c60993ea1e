package users

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
)

// LegacyFile is the JSON file earlier flowgate versions kept their one
// admin in ({"admin": {"password_hash": "<bcrypt>"}}), in the data dir.
const LegacyFile = "users.json"

// ImportLegacy moves the users of an earlier version's users.json into the
// store as administrators (that file only ever held the admin) and renames
// the file to users.json.migrated so that it is read once. A user already
// in the store keeps its store entry. Missing file: nothing to do.
func (s *Store) ImportLegacy(path string) (int, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("users: legacy %s: %w", path, err)
	}
	var legacy map[string]struct {
		PasswordHash string `json:"password_hash"`
	}
	if err := json.Unmarshal(raw, &legacy); err != nil {
		return 0, fmt.Errorf("users: legacy %s: %w", path, err)
	}
	names := make([]string, 0, len(legacy))
	for n := range legacy {
		names = append(names, n)
	}
	sort.Strings(names)
	n := 0
	for _, name := range names {
		if _, exists := s.Get(name); exists {
			continue
		}
		full := ""
		if name == AdminUser {
			full = "ntopng Administrator"
		}
		if err := s.Import(Spec{Username: name, FullName: full, Group: Administrator}, legacy[name].PasswordHash); err != nil {
			return n, fmt.Errorf("users: legacy %s: %w", path, err)
		}
		n++
	}
	if err := os.Rename(path, path+".migrated"); err != nil {
		return n, fmt.Errorf("users: legacy %s: %w", path, err)
	}
	return n, nil
}
