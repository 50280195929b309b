package pacing

// Power is the power (progressive) pacer: never more lines in flight than free
// agents, so every person who answers finds an agent and nobody is abandoned.
type Power struct{}

// NewPower returns the power pacer.
func NewPower() Pacer { return Power{} }

// Dials tops the lines in flight up to the free agents.
func (Power) Dials(s State) int { return progressiveDials(s) }

// Observe does nothing: the power pacer needs no estimate.
func (Power) Observe(Outcome) {}

// Mode is always progressive.
func (Power) Mode() Mode { return ModeProgressive }

// progressiveDials is the number of dials that keep the lines in flight plus
// the persons waiting at most the free agents.
func progressiveDials(s State) int {
	free, _ := freeAgents(s.Agents)
	return max(0, free-len(s.InFlight)-s.Waiting)
}
