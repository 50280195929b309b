package sip

import (
	"fmt"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/media"
)

// CheckPrompts decodes the WAV prompts a config names, which the switch
// plays: one that does not decode is a config error, at the field that
// names it (an optional one, a voicemail greeting, a warning added to
// cfg.Warnings). Call it after config.Load and before applying the
// config, so check-config and a reload refuse what the switch could not
// play.
func CheckPrompts(cfg *config.Config) error {
	var errs config.Errors
	for _, p := range cfg.Prompts {
		if _, err := loadPrompt(p.Path); err != nil {
			if p.Optional {
				cfg.Warnings = append(cfg.Warnings, p.Problem(config.OptionalPromptWarning(err)).Error())
				continue
			}
			errs = append(errs, p.Problem(err.Error()))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// loadPrompt reads a WAV prompt named in the config.
func loadPrompt(path string) ([]int16, error) {
	samples, err := media.LoadPromptFile(path)
	if err != nil {
		return nil, err
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%s has no audio", path)
	}
	return samples, nil
}
