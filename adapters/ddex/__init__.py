"""DDEX messages: the Musical Work Right Share Notification (MWN) 1.3."""
