"""After a determination: the review workflow, CAP 1.2 alerts and the response protocol.

- `truceline.response.review`: review actions, the state they fold into, the review queue;
- `truceline.response.cap`: alerts as CAP 1.2 XML and JSON, built from signed clear breaches;
- `truceline.response.protocol`: the response protocol's clocks, members' responses and
  reminders of overdue steps.

All of it is pure and deterministic: records in, state out; the caller passes the time.
"""
