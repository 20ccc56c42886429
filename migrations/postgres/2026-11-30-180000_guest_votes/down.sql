DROP TABLE guest_votes;
