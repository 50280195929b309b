package dialer

import (
	"fmt"
	"path/filepath"

	"github.com/dialtone/dialtone/media"
)

// DirAudio loads voicemail_drop messages from DIR/dialer: ref is a file
// name there (".wav" may be left out), or a path below it. Absolute
// paths and ones that climb out are refused: an API user names a
// message, not any file the switch can read.
func DirAudio(dataDir string) func(ref string) ([]int16, error) {
	return func(ref string) ([]int16, error) {
		if !filepath.IsLocal(ref) {
			return nil, fmt.Errorf("%q: name a WAV file in the data directory's dialer folder", ref)
		}
		if filepath.Ext(ref) == "" {
			ref += ".wav"
		}
		return media.LoadPromptFile(filepath.Join(dataDir, "dialer", ref))
	}
}
