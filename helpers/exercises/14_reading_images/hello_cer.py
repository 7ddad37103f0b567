from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "hello_cer"


@test_case(success_message="Right: one substitution in five characters. The CER counts edits "
                           "(insertions, deletions, substitutions) over the length of the truth, "
                           "so it can exceed 1 when a reader adds characters.",
           failure_message="Hint: how many single-character edits turn HELL0 into HELLO, and how "
                           "long is the truth?")
def test_hello_cer(hello_cer):
    from helpers.reading.cer import cer

    close(hello_cer, cer(["HELL0"], ["HELLO"]), "hello_cer", within=0.005)
