"""What researchers and colleagues read: the tables on disk, the notebooks' views and figures in
Danish or English, the Excel workbook, and the HTML reports with their front page.

Takes a run's tables; gives ``OUT/tables`` (:func:`table_files.write_run`), the notebooks' one
object (:func:`views.load_results`), ``analysis.xlsx`` (:func:`workbook.ensure_workbook`) and
``OUT/reports`` (:func:`reports.build_reports`).
"""
