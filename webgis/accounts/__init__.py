"""Who signs in and what they may do: users, sessions, roles and areas."""
