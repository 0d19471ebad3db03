package fakeadmin

import "net/http"

// SetDraft opens or closes a draft for the API key's user on the app. While
// one is open, config PATCHes land in it and change nothing (adminapi.md 7).
func (s *Server) SetDraft(groupID, appID string, open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.mustAppLocked(groupID, appID)
	switch {
	case open && a.draft == "":
		a.draft = s.newIDLocked()
	case !open:
		a.draft = ""
	}
}

// SetDraftShape picks how GET …/drafts answers: an array of 0 or 1 drafts
// (realm-cli's reading), or (the default) the SPEC's single object, with
// 404 DraftNotFound when there is none.
func (s *Server) SetDraftShape(array bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.draftArray = array
}

func (s *Server) handleDrafts(w http.ResponseWriter, r *http.Request) {
	s.answer(w, func() reply {
		a, fail := s.lookupLocked(r)
		if a == nil {
			return fail
		}
		var draft map[string]any
		if a.draft != "" {
			draft = map[string]any{"_id": a.draft, "user_id": s.userID, "app": appInstance(a)}
		}
		switch {
		case s.draftArray && draft == nil:
			return jsonReply(http.StatusOK, []any{})
		case s.draftArray:
			return jsonReply(http.StatusOK, []any{draft})
		case draft == nil:
			return errReply(http.StatusNotFound, "draft not found", "DraftNotFound")
		}
		return jsonReply(http.StatusOK, draft)
	})
}
