"""The field app's needs: my work (households, tasks, what awaits me) and a village's delta sync."""
