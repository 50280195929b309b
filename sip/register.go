package sip

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

const defaultExpires = 3600

// handleRegister authenticates a phone and updates its contacts (RFC 3261 §10).
func (sw *Switch) handleRegister(req *sip.Request, tx sip.ServerTransaction) {
	if req.To() == nil || req.From() == nil || req.CallID() == nil || req.CSeq() == nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	u := sw.authenticate(req, tx, false)
	if u == nil {
		return
	}
	headerExpires := -1
	if h := req.GetHeader("Expires"); h != nil {
		v, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || v < 0 {
			respond(tx, req, 400, "Bad Request")
			return
		}
		headerExpires = v
	}
	maxExpires := int(sw.directory().settings.registerMaxExpires.Seconds())
	now := time.Now()
	var add []binding
	var remove []string
	removeAll := false
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if c.Address.Wildcard || c.Address.Host == "*" || strings.TrimSpace(c.Value()) == "*" {
			if headerExpires != 0 {
				respond(tx, req, 400, "Bad Request")
				return
			}
			removeAll = true
			continue
		}
		expires := headerExpires
		if c.Params != nil {
			if v, ok := c.Params.Get("expires"); ok {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					respond(tx, req, 400, "Bad Request")
					return
				}
				expires = n
			}
		}
		if expires < 0 {
			expires = defaultExpires
		}
		if expires > maxExpires {
			expires = maxExpires
		}
		if expires == 0 {
			remove = append(remove, c.Address.String())
			continue
		}
		add = append(add, binding{
			Contact:   *c.Address.Clone(),
			Source:    req.Source(),
			Transport: strings.ToLower(req.Transport()),
			Expires:   now.Add(time.Duration(expires) * time.Second),
			CallID:    req.CallID().Value(),
			CSeq:      req.CSeq().SeqNo,
		})
	}
	var current []binding
	if len(add) == 0 && len(remove) == 0 && !removeAll {
		current = sw.reg.lookup(u.Extension) // a query: list bindings
	} else {
		current = sw.reg.update(u.Extension, add, remove, removeAll)
		sw.log.Info("register", "user", u.Extension, "source", req.Source(), "contacts", len(current), "added", len(add), "removed", len(remove)+boolInt(removeAll))
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	for _, b := range current {
		left := int(time.Until(b.Expires).Seconds())
		if left < 1 {
			left = 1
		}
		c := &sip.ContactHeader{Address: *b.Contact.Clone(), Params: sip.NewParams()}
		c.Params.Add("expires", strconv.Itoa(left))
		res.AppendHeader(c)
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	_ = tx.Respond(res)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
