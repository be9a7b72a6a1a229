"""kg: documents → chunks → extraction → entity resolution → graph stores → graph queries."""
