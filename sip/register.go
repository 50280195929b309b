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
		respond(tx, req, sip.StatusBadRequest, "Bad Request")
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
			respond(tx, req, sip.StatusBadRequest, "Bad Request")
			return
		}
		headerExpires = v
	}
	settings := sw.directory().settings
	maxExpires := int(settings.registerMaxExpires.Seconds())
	now := time.Now()
	ch := registerChange{callID: req.CallID().Value(), cseq: req.CSeq().SeqNo}
	userAgent := ""
	if h := req.GetHeader("User-Agent"); h != nil {
		userAgent = h.Value()
	}
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if c.Address.Wildcard || c.Address.Host == "*" || strings.TrimSpace(c.Value()) == "*" {
			if headerExpires != 0 {
				respond(tx, req, sip.StatusBadRequest, "Bad Request")
				return
			}
			ch.removeAll = true
			continue
		}
		expires := headerExpires
		if c.Params != nil {
			if v, ok := c.Params.Get("expires"); ok {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					respond(tx, req, sip.StatusBadRequest, "Bad Request")
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
		b := binding{
			Contact:    *c.Address.Clone(),
			Source:     req.Source(),
			Transport:  strings.ToLower(req.Transport()),
			Expires:    now.Add(time.Duration(expires) * time.Second),
			Registered: now,
			Instance:   contactParam(c, "+sip.instance"),
			RegID:      contactParam(c, "reg-id"),
			UserAgent:  userAgent,
		}
		if expires == 0 {
			ch.remove = append(ch.remove, b)
		} else {
			ch.add = append(ch.add, b)
		}
	}
	var current []binding
	if len(ch.add) == 0 && len(ch.remove) == 0 && !ch.removeAll {
		current = sw.reg.lookup(u.Extension) // a query: list bindings
	} else {
		var evicted []binding
		current, evicted = sw.reg.update(u.Extension, ch, settings.maxContacts)
		sw.log.Info("register", "user", u.Extension, "source", req.Source(), "contacts", len(current), "added", len(ch.add), "removed", len(ch.remove)+boolInt(ch.removeAll))
		for _, b := range evicted {
			sw.log.Warn("register: max_contacts reached, the stalest contact is dropped", "user", u.Extension,
				"dropped", b.Contact.String(), "dropped_source", b.Source, "max_contacts", settings.maxContacts, "source", req.Source())
		}
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
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

// contactParam is a Contact header parameter without its quotes
// (+sip.instance="<urn:uuid:...>").
func contactParam(c *sip.ContactHeader, name string) string {
	if c.Params == nil {
		return ""
	}
	v, _ := c.Params.Get(name)
	return strings.Trim(v, `"`)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
